/**
 * The app's formatting is shared/format.ts, the same module the CLI and the PDF use; only the
 * time zone differs: the app shows dates in the viewer's own zone.
 */
import { dateTime as formatDateTime } from '../../../shared/format';

export { bytes, compact, count, duration, hyper, MISSING, num, percent, pp, pValue, relativeTime } from '../../../shared/format';

export function dateTime(iso: string | null | undefined): string {
  return formatDateTime(iso, 'local');
}
