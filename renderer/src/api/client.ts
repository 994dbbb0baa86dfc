/**
 * The renderer's one API client. In the desktop app it uses the preload's bridge; in browser mode
 * a WebSocket to the same origin (the token travels in the HttpOnly cookie the server set). Both
 * present the contract's `ApiTransport`, and errors arrive as `ApiError` either way.
 */
import { namespaced, type ApiTransport, type EventName, type NamespacedApi } from '../../../shared/contract';
import { ApiError } from '../../../shared/errors';

type Listener = (payload: unknown) => void;

export class WebSocketTransport implements ApiTransport {
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private retryDelay = 250;
  /** Called when the connection comes back after a drop, so views can refetch what they missed. */
  onReconnect: (() => void) | null = null;

  constructor(private readonly url: string) {}

  private connect(): Promise<WebSocket> {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    this.opening ??= new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.url);
      let opened = false;
      socket.onopen = () => {
        opened = true;
        const reconnected = this.socket !== null;
        this.socket = socket;
        this.opening = null;
        this.retryDelay = 250;
        // The server sends each socket only the events it asked for.
        if (this.listeners.size) socket.send(JSON.stringify({ subscribe: [...this.listeners.keys()] }));
        resolve(socket);
        if (reconnected) this.onReconnect?.();
      };
      socket.onmessage = (message) => this.receive(String(message.data));
      socket.onclose = () => {
        this.opening = null;
        for (const { reject: fail } of this.pending.values()) fail(new ApiError('unavailable', 'Lost the connection to Sweeplab'));
        this.pending.clear();
        if (!opened) reject(new ApiError('unavailable', 'Cannot reach Sweeplab: is `sweeplab serve` still running?'));
        // Keep the event stream alive: reconnect with backoff while anyone listens.
        if (this.listeners.size) {
          setTimeout(() => void this.connect().catch(() => {}), this.retryDelay);
          this.retryDelay = Math.min(this.retryDelay * 2, 5000);
        }
      };
    });
    return this.opening;
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as { id?: number; ok?: boolean; value?: unknown; error?: unknown; event?: string; payload?: unknown };
    if (message.event) {
      for (const listener of this.listeners.get(message.event) ?? []) listener(message.payload);
      return;
    }
    const entry = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!entry) return;
    this.pending.delete(message.id!);
    if (message.ok) entry.resolve(message.value);
    else entry.reject(ApiError.from(message.error));
  }

  async call(method: string, request: unknown): Promise<never> {
    const socket = await this.connect();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params: request }));
    });
  }

  on(event: EventName, listener: (payload: never) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      this.listeners.set(event, (set = new Set()));
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ subscribe: [event] }));
    }
    set.add(listener as Listener);
    void this.connect().catch(() => {});
    return () => {
      set.delete(listener as Listener);
      if (set.size || this.listeners.get(event) !== set) return;
      this.listeners.delete(event);
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ unsubscribe: [event] }));
    };
  }
}

function bridgeTransport(bridge: NonNullable<Window['sweeplab']>): ApiTransport {
  return {
    call: (method, request) => bridge.call(method, request).catch((error: unknown) => Promise.reject(ApiError.from(error))),
    on: (event, listener) => bridge.on(event, listener),
  };
}

export function createTransport(): ApiTransport {
  if (window.sweeplab) return bridgeTransport(window.sweeplab);
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocketTransport(`${protocol}//${location.host}/api/ws`);
}

export const transport = createTransport();
export const api: NamespacedApi = namespaced(transport);
export const isDesktop = Boolean(window.sweeplab);
