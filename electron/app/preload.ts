/**
 * The preload: exposes `window.sweeplab`, one function per contract method (`sweeplab.runs.list`)
 * plus `call` and `on`, and nothing else. Only channels named in the contract pass; the raw
 * ipcRenderer never reaches the page.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  callChannel,
  eventChannel,
  isEventName,
  isMethodName,
  namespaced,
  type ApiTransport,
  type EventName,
} from '../../shared/contract';
import { ApiError } from '../../shared/errors';
import type { DispatchResult } from '../service/dispatch';

// Written here rather than imported from menu.ts, which pulls in Electron's main-process API.
const NAVIGATE_CHANNEL = 'sweeplab:navigate';

const transport: ApiTransport = {
  async call(method, request) {
    if (!isMethodName(method)) throw new ApiError('not_found', `Unknown method: ${String(method)}`);
    const result = (await ipcRenderer.invoke(callChannel(method), request)) as DispatchResult;
    if (!result.ok) throw ApiError.from(result.error);
    return result.value as never;
  },
  on(event, listener) {
    if (!isEventName(event)) throw new ApiError('not_found', `Unknown event: ${String(event)}`);
    const wrapped = (_: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(eventChannel(event as EventName), wrapped);
    return () => ipcRenderer.off(eventChannel(event as EventName), wrapped);
  },
};

// ApiError instances do not survive contextBridge (only plain data does); the renderer's client
// rebuilds them from {code, message, details} — see renderer/src/api/client.ts.
const bridge = {
  ...namespaced(transport),
  call: (method: string, request: unknown) =>
    transport.call(method as never, request as never).catch((error: unknown) => Promise.reject(ApiError.from(error).toJSON())),
  on: (event: string, listener: (payload: unknown) => void) => transport.on(event as never, listener),
  /** The path of a dropped or picked file: the desktop app imports in place, without an upload. */
  pathForFile: (file: File) => webUtils.getPathForFile(file),
  /** Routes chosen in the native menu. */
  onNavigate: (listener: (route: string) => void) => {
    const wrapped = (_: IpcRendererEvent, route: unknown) => typeof route === 'string' && listener(route);
    ipcRenderer.on(NAVIGATE_CHANNEL, wrapped);
    return () => ipcRenderer.off(NAVIGATE_CHANNEL, wrapped);
  },
};

contextBridge.exposeInMainWorld('sweeplab', bridge);
export type SweeplabBridge = typeof bridge;
