/**
 * Server-side paths in browser mode. The page may be driven by whoever holds the token, so it never
 * names an arbitrary file on the server: results travel back as downloads (base64 in the reply),
 * files travel in as uploads (into the data folder's uploads/), and a path a client sends is
 * accepted only inside a root the operator named when starting `serve` (`--allow-path DIR`), or,
 * for reading, inside the uploads folder. The desktop app and the CLI call the service directly
 * and are not restricted.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { MethodName } from '../../shared/contract';
import { ApiError } from '../../shared/errors';

type Access = 'read' | 'write';

/**
 * Every request field that names a server path, by method. test/server/paths.test.ts fails when a
 * method gains a path-like field that is not listed here.
 */
export const PATH_FIELDS: Partial<Record<MethodName, { field: string; access: Access }>> = {
  'datasets.import': { field: 'paths', access: 'read' },
  'imports.history': { field: 'path', access: 'read' },
  'reports.pdf': { field: 'path', access: 'write' },
  'exports.data': { field: 'path', access: 'write' },
  'exports.model': { field: 'dir', access: 'write' },
};

/** The real path of `path`, or of its nearest existing ancestor with the rest appended (a file about to be written). */
function realTarget(path: string): string {
  let current = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync.native(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return resolve(path);
      rest.push(basename(current));
      current = parent;
    }
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export class PathPolicy {
  private readonly roots: string[];

  /** `roots`: the operator's --allow-path folders (must exist); `uploadsDir`: readable as well. */
  constructor(roots: readonly string[], private readonly uploadsDir: string) {
    this.roots = roots.map((root) => {
      if (!existsSync(root)) throw new ApiError('invalid_argument', `--allow-path ${root}: no such folder`);
      return realpathSync.native(root);
    });
  }

  get allowedRoots(): readonly string[] {
    return this.roots;
  }

  private allowed(path: string, access: Access): boolean {
    const target = realTarget(path);
    if (this.roots.some((root) => inside(root, target))) return true;
    if (access === 'write') return false;
    mkdirSync(this.uploadsDir, { recursive: true });
    return inside(realpathSync.native(this.uploadsDir), target);
  }

  /** Throws 'permission_denied' when the request names a path outside what browser mode may touch. */
  check(method: unknown, payload: unknown): void {
    const spec = typeof method === 'string' ? PATH_FIELDS[method as MethodName] : undefined;
    if (!spec || typeof payload !== 'object' || payload === null) return;
    const value = (payload as Record<string, unknown>)[spec.field];
    const paths = Array.isArray(value) ? value : [value];
    for (const path of paths) {
      // Wrong types are the schema's to refuse, with its own message.
      if (typeof path !== 'string' || path === '') continue;
      if (this.allowed(path, spec.access)) continue;
      const where = this.roots.length
        ? `only inside ${this.roots.join(', ')}`
        : 'only inside folders named with `sweeplab serve --allow-path DIR`, and none was';
      throw new ApiError(
        'permission_denied',
        spec.access === 'write'
          ? `Browser mode writes server files ${where}; leave the path out to get the file as a download`
          : `Browser mode reads server files from uploads or ${where}; upload the file instead`,
        { path: path.slice(0, 300) },
      );
    }
  }
}
