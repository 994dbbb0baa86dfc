/**
 * The type of `window.sweeplab` as the preload exposes it. The renderer's tsconfig sees this file
 * and shared/, nothing else from electron/.
 */
import type { EventName, EventPayload, MethodName, NamespacedApi, Request, Response } from '../../shared/contract';

export type SweeplabBridge = NamespacedApi & {
  call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** The path of a dropped or picked file (Electron's webUtils.getPathForFile); '' when it has none. */
  pathForFile(file: File): string;
  /** Routes chosen in the native menu; returns an unsubscribe. */
  onNavigate(listener: (route: string) => void): () => void;
};

declare global {
  interface Window {
    sweeplab?: SweeplabBridge;
  }
}
