/**
 * Binds the contract to Electron IPC: one `ipcMain.handle` per method, generated from the contract
 * (no per-method glue), and every service event forwarded to the window.
 */
import type { IpcMain, WebContents } from 'electron';
import { callChannel, eventChannel, methodNames } from '../../shared/contract';
import type { Service } from '../service';
import type { EventBus } from '../service/events';

export function bindIpc(ipcMain: IpcMain, service: Service, events: EventBus, target: () => WebContents | null): () => void {
  for (const method of methodNames) {
    // Results travel as {ok, value} | {ok: false, error}: Electron would flatten a thrown error to a string.
    ipcMain.handle(callChannel(method), (_event, payload: unknown) => service.dispatch(method, payload));
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
