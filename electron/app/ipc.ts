/**
 * Binds the contract to Electron IPC: one `ipcMain.handle` per method, generated from the contract
 * (no per-method glue), and every service event forwarded to the window.
 */
import type { IpcMain, WebContents, WebFrameMain } from 'electron';
import { callChannel, eventChannel, methodNames } from '../../shared/contract';
import type { Service } from '../service';
import type { EventBus } from '../service/events';

/**
 * `trusted` decides from the sending frame (Electron's security checklist: validate the sender of
 * every IPC message): a subframe or a page that navigated elsewhere gets 'permission_denied'.
 */
export function bindIpc(
  ipcMain: IpcMain,
  service: Service,
  events: EventBus,
  target: () => WebContents | null,
  trusted: (frame: WebFrameMain | null) => boolean,
): () => void {
  for (const method of methodNames) {
    // Results travel as {ok, value} | {ok: false, error}: Electron would flatten a thrown error to a string.
    ipcMain.handle(callChannel(method), (event, payload: unknown) =>
      trusted(event.senderFrame)
        ? service.dispatch(method, payload)
        : { ok: false, error: { code: 'permission_denied', message: 'IPC from a frame that is not the app' } },
    );
  }
  const unsubscribe = events.onAny((event, payload) => {
    const contents = target();
    if (contents && !contents.isDestroyed()) contents.send(eventChannel(event), payload);
  });
  return () => {
    unsubscribe();
    for (const method of methodNames) ipcMain.removeHandler(callChannel(method));
  };
}
