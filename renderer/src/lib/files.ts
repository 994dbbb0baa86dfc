/**
 * Saving what the main process produced (a PDF, a CSV, a model file) from the page. The same code
 * serves both transports: in browser mode it is a download; in the desktop app Electron shows its
 * native save dialog for every download that has no path set.
 */

/** Decodes base64 (as the export methods return file bytes) into bytes. Pure. */
export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function saveFile(fileName: string, mimeType: string, base64: string): void {
  const blob = new Blob([base64ToBytes(base64) as BlobPart], { type: mimeType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke after the download has started; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
