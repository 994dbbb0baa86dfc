/** What a status pill says. Pure. */

export interface StatusLabel {
  label: string;
  /** The CSS class (styles.css colours badges by status name). */
  tone: string;
  title?: string;
}

/**
 * A run's status in words. 'interrupted' is stored for every trial stopped to be resumed from its
 * checkpoint; when its sweep is paused that is the user's pause, not a crash, so it reads 'paused'.
 */
export function runStatusLabel(status: string, sweepStatus?: string): StatusLabel {
  if (status === 'interrupted' && sweepStatus === 'paused') {
    return { label: 'paused', tone: 'paused', title: 'Stopped by the sweep’s pause; it resumes from its last checkpoint' };
  }
  if (status === 'interrupted') return { label: 'interrupted', tone: 'interrupted', title: 'Stopped before the end; it resumes from its last checkpoint' };
  return { label: status, tone: status };
}
