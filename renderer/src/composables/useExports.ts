/**
 * Reports, exports and history imports from the UI: the main process renders the file (one code
 * path with `sweeplab report` / `export`), the page saves it. Imports: the desktop app passes the
 * file's own path; browser mode uploads it first (POST /api/upload), then imports that copy.
 */
import { ref } from 'vue';
import { api } from '../api/client';
import { useToasts } from '../stores/toasts';
import { saveFile } from '../lib/files';
import { uploadHeaders, uploadSessionId } from '../lib/upload';
import { ApiError } from '../../../shared/errors';
import type { ComparisonOptions } from '../../../shared/contract';

export type ExportSubject = { runIds: string[] } | { sweepId: string };

export function useExports() {
  const toasts = useToasts();
  const busy = ref<string | null>(null);

  async function run<T>(label: string, work: () => Promise<T>): Promise<T | null> {
    busy.value = label;
    try {
      return await work();
    } catch (e) {
      toasts.error(e, `Could not ${label}`);
      return null;
    } finally {
      busy.value = null;
    }
  }

  const pdf = (subject: ExportSubject, title?: string, comparison?: ComparisonOptions) =>
    run('export the PDF report', async () => {
      const file = await api.reports.pdf({ subject, ...(title ? { title } : {}), ...(comparison ? { comparison } : {}) });
      saveFile(file.fileName, file.mimeType, file.base64!);
      toasts.success(`Report saved: ${file.fileName} (${file.pages} ${file.pages === 1 ? 'page' : 'pages'})`);
    });

  const data = (subject: ExportSubject, format: 'csv' | 'json', table?: 'runs' | 'epochs' | 'cells') =>
    run(`export ${format.toUpperCase()}`, async () => {
      const file = await api.exports.data({ subject, format, ...(table ? { table } : {}) });
      saveFile(file.fileName, file.mimeType, file.base64!);
    });

  const model = (runId: string, format: 'tfjs' | 'pytorch') =>
    run('export the model', async () => {
      const result = await api.exports.model({ runId, format });
      // A TF.js model is model.json + weights.bin under exactly these names: save both.
      for (const f of result.files) saveFile(f.name, f.mimeType, f.base64!);
    });

  const importHistory = (file: File) =>
    run(`import ${file.name}`, async () => {
      let path = window.sweeplab?.pathForFile(file) ?? '';
      if (!path) {
        const response = await fetch('/api/upload', { method: 'POST', headers: uploadHeaders(uploadSessionId(), file.name), body: file, credentials: 'same-origin' });
        const body = (await response.json().catch(() => null)) as { ok: boolean; value?: { path: string }; error?: unknown } | null;
        if (!body?.ok || !body.value) throw ApiError.from(body?.error ?? { code: 'unavailable', message: `Upload failed (HTTP ${response.status})` });
        path = body.value.path;
      }
      const result = await api.imports.history({ path });
      toasts.success(
        `Imported ${result.runs.imported} ${result.runs.imported === 1 ? 'run' : 'runs'}` +
          (result.runs.duplicates ? `, ${result.runs.duplicates} already here` : '') +
          (result.datasets.placeholders ? `; ${result.datasets.placeholders} data set(s) unknown here kept as placeholders` : ''),
      );
      return result;
    });

  return { busy, pdf, data, model, importHistory };
}
