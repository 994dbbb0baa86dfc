import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../../shared/contract';

export type AnyEventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** The service's typed event bus; transports subscribe with `onAny` and forward every event. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open window / WebSocket adds one listener; do not warn at 10.
    this.emitter.setMaxListeners(0);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', event, payload);
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    const wrapped = (name: EventName, payload: unknown) => {
      if (name === event) listener(payload as EventPayload<E>);
    };
    this.emitter.on('event', wrapped);
    return () => this.emitter.off('event', wrapped);
  }

  onAny(listener: AnyEventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
