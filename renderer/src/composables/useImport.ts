/**
 * Getting files into a data set, the same from a drop anywhere on the window, a file picker or a
 * folder picker. Desktop: the files' own paths (preload's pathForFile) go to datasets.import.
 * Browser mode: each file is uploaded (POST /api/upload) into one session folder on the server,
 * then that folder is imported.
 */
import { api } from '../api/client';
import { useDatasetsStore } from '../stores/datasets';
import { useToasts } from '../stores/toasts';
import { importRoot, uploadHeaders, uploadSessionId } from '../lib/upload';
import { importedText } from '../lib/datasets';
import { ApiError } from '../../../shared/errors';
import type { Dataset } from '../../../shared/domain';

export interface PickedFile {
  file: File;
  /** Path relative to what was dropped or picked: "kmnist/train-images-idx3-ubyte.gz". */
  path: string;
}

/** Files of a DataTransfer, folders walked recursively (webkitGetAsEntry). */
export async function filesFromDataTransfer(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = [...dt.items].map((item) => (item.kind === 'file' ? item.webkitGetAsEntry?.() : null));
  if (entries.some(Boolean)) {
    const out: PickedFile[] = [];
    for (const entry of entries) if (entry) await walk(entry, out);
    return out;
  }
  return [...dt.files].map((file) => ({ file, path: file.name }));
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\//, '') });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most ~100 entries per call: read until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) await walk(child, out);
  }
}

export function filesFromInput(input: HTMLInputElement): PickedFile[] {
  return [...(input.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

async function uploadAll(files: PickedFile[], onProgress: (done: number, total: number) => void): Promise<string> {
  const session = uploadSessionId();
  const total = files.reduce((a, f) => a + f.file.size, 0);
  let done = 0;
  let root = '';
  for (const { file, path } of files) {
    const response = await fetch('/api/upload', { method: 'POST', headers: uploadHeaders(session, path), body: file, credentials: 'same-origin' });
    const body = (await response.json().catch(() => null)) as { ok: boolean; value?: { root: string }; error?: unknown } | null;
    if (!body?.ok || !body.value) throw ApiError.from(body?.error ?? { code: 'unavailable', message: `Upload of ${path} failed (HTTP ${response.status})` });
    root = body.value.root;
    done += file.size;
    onProgress(done, total);
  }
  return importRoot(root, files.map((f) => f.path));
}

export function useImport() {
  const datasets = useDatasetsStore();
  const toasts = useToasts();

  async function importFiles(files: PickedFile[], options: { name?: string } = {}): Promise<Dataset | null> {
    if (!files.length) return null;
    const label = files.length === 1 ? files[0]!.path : `${files.length} files`;
    try {
      let paths: string[];
      const bridge = window.sweeplab;
      const desktopPaths = bridge ? files.map((f) => bridge.pathForFile(f.file)).filter(Boolean) : [];
      if (bridge && desktopPaths.length === files.length) {
        // Folders dropped in the desktop app: import the top folders, not every file in them.
        const tops = new Map<string, string>();
        files.forEach((f, i) => {
          const path = desktopPaths[i]!;
          const depth = f.path.split('/').length - 1;
          const top = depth ? path.split(/[\\/]/).slice(0, -depth).join(path.includes('\\') ? '\\' : '/') : path;
          tops.set(top, top);
        });
        paths = [...tops.values()];
      } else {
        datasets.upload = { label, done: 0, total: files.reduce((a, f) => a + f.file.size, 0) };
        paths = [await uploadAll(files, (done, total) => (datasets.upload = { label, done, total }))];
        datasets.upload = null;
      }
      const dataset = await api.datasets.import({ paths, ...(options.name ? { name: options.name } : {}) });
      toasts.success(importedText(dataset));
      return dataset;
    } catch (e) {
      datasets.upload = null;
      toasts.error(e, `Could not import ${label}`);
      return null;
    }
  }

  return { importFiles };
}
