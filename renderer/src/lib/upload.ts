/** Browser-mode uploads: session ids and the headers the server expects. Pure. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 24-character session id ([A-Za-z0-9]); `random` returns values in [0, 1). */
export function uploadSessionId(random: () => number = Math.random): string {
  let id = '';
  for (let i = 0; i < 24; i++) id += ALPHABET[Math.floor(random() * ALPHABET.length)]!;
  return id;
}

/** A relative path safe to send: forward slashes, no empty or '..' parts, no leading slash. */
export function cleanRelativePath(path: string): string {
  const parts = path.replace(/\\/g, '/').split('/').filter((p) => p && p !== '.' && p !== '..');
  return parts.join('/') || 'file';
}

export function uploadHeaders(session: string, relativePath: string): Record<string, string> {
  return {
    'x-upload-session': session,
    'x-upload-path': encodeURIComponent(cleanRelativePath(relativePath)),
    'content-type': 'application/octet-stream',
  };
}

/**
 * The folder to import from the uploaded files: the session root, or the single top-level folder
 * when everything was inside one (so a dropped "kmnist/" imports as "kmnist").
 */
export function importRoot(root: string, relativePaths: readonly string[]): string {
  const tops = new Set(relativePaths.map((p) => cleanRelativePath(p).split('/')[0]));
  const nested = relativePaths.every((p) => cleanRelativePath(p).includes('/'));
  return tops.size === 1 && nested ? `${root}/${[...tops][0]}` : root;
}
