/** Desktop notifications when a sweep ends (the Notification API, in Electron and browsers). */
import type { Sweep, SweepStatus } from '../../../shared/domain';

const ENDED: ReadonlySet<SweepStatus> = new Set(['completed', 'failed', 'cancelled']);

/** True when a sweep this window saw running has just ended. Pure. */
export function sweepEnded(before: SweepStatus | undefined, after: SweepStatus): boolean {
  return (before === 'running' || before === 'paused') && ENDED.has(after);
}

export function sweepEndMessage(sweep: Pick<Sweep, 'name' | 'status' | 'trials'>): { title: string; body: string } {
  const { done, failed, total } = sweep.trials;
  const title = sweep.status === 'completed' ? `Sweep finished: ${sweep.name}` : `Sweep ${sweep.status}: ${sweep.name}`;
  const body = `${done} of ${total} trials done${failed ? `, ${failed} failed` : ''}. Open Sweeplab for the analysis.`;
  return { title, body };
}

export function notifySweepEnded(sweep: Sweep): void {
  if (typeof Notification === 'undefined') return;
  const { title, body } = sweepEndMessage(sweep);
  const show = () => {
    const n = new Notification(title, { body, tag: `sweep-${sweep.id}` });
    n.onclick = () => {
      window.focus();
      location.hash = `#/sweeps/${sweep.id}`;
    };
  };
  if (Notification.permission === 'granted') show();
  else if (Notification.permission === 'default') void Notification.requestPermission().then((p) => p === 'granted' && show());
}

/** Asked once, when the user launches their first sweep (a prompt at start-up would be rude). */
export function askNotificationPermission(): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission().catch(() => {});
}
