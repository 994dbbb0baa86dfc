/** Data-set catalog entries and import-progress wording. Pure. */
import type { CatalogId, EventPayload } from '../../../shared/contract';
import { bytes, count } from './format';

export const CATALOG: { id: CatalogId; name: string; description: string; size: string }[] = [
  { id: 'kmnist', name: 'Kuzushiji-MNIST', description: '70,000 28×28 cursive Japanese characters, 10 classes. The notebook’s data set.', size: '≈ 20 MB' },
  { id: 'fashion-mnist', name: 'Fashion-MNIST', description: '70,000 28×28 clothing images, 10 classes.', size: '≈ 30 MB' },
  { id: 'mnist', name: 'MNIST', description: '70,000 28×28 handwritten digits, 10 classes.', size: '≈ 11 MB' },
];

type Progress = EventPayload<'dataset.progress'>;

export function progressFraction(p: Progress): number | null {
  if (p.phase === 'done') return 1;
  if (p.total === null || p.total <= 0) return null;
  return Math.min(1, p.done / p.total);
}

const PHASES: Record<Progress['phase'], string> = {
  download: 'Downloading',
  verify: 'Checking',
  parse: 'Reading',
  store: 'Storing',
  done: 'Done',
  failed: 'Failed',
};

/** "Downloading 3.2 MB of 18 MB", "Reading 12,000 of 60,000". Download phases count bytes. */
export function progressText(p: Progress): string {
  const phase = PHASES[p.phase];
  if (p.phase === 'done' || p.phase === 'failed') return phase;
  const fmt = p.phase === 'download' ? bytes : count;
  if (p.total === null) return p.done > 0 ? `${phase} ${fmt(p.done)}` : `${phase}…`;
  return `${phase} ${fmt(p.done)} of ${fmt(p.total)}`;
}

/** The toast after an import: counts with thousands separators, as the data-set list writes them. */
export function importedText(d: { name: string; numClasses: number; counts: { train: number; test: number } }): string {
  return `Imported ${d.name}: ${count(d.counts.train)} training and ${count(d.counts.test)} test images, ${d.numClasses} classes`;
}
