/** The sweep page's subtitle: data set · model · epochs and samples. Pure. */
import { count } from './format';

export function sweepSubtitle(o: { dataset: string; preset: string | null | undefined; epochs: number; subset: number | null | undefined }): string {
  const epochs = `${o.epochs} ${o.epochs === 1 ? 'epoch' : 'epochs'}`;
  const samples = o.subset ? ` on ${count(o.subset)} ${o.subset === 1 ? 'sample' : 'samples'}` : '';
  return `${o.dataset} · ${o.preset ?? 'custom model'} · ${epochs}${samples}`;
}
