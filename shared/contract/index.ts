/**
 * The one contract of Sweeplab: every API method (request → response) and every event, as zod
 * schemas. Electron IPC, the HTTP + WebSocket transport, the CLI and the renderer all derive their
 * types (and their channel names) from the two maps below; a method name is written once, in the
 * per-domain file that owns it (app, runs, datasets, sweeps, reports).
 */
import type { z } from 'zod';
import { appEvents, appMethods } from './app';
import { runEvents, runMethods } from './runs';
import { datasetEvents, datasetMethods } from './datasets';
import { sweepEvents, sweepMethods } from './sweeps';
import { reportEvents, reportMethods } from './reports';
import { clusterMethods } from './cluster';

export * from './app';
export * from './runs';
export * from './datasets';
export * from './sweeps';
export * from './reports';
export * from './cluster';

export const methods = { ...appMethods, ...runMethods, ...datasetMethods, ...sweepMethods, ...reportMethods, ...clusterMethods } as const;
export const events = { ...appEvents, ...runEvents, ...datasetEvents, ...sweepEvents, ...reportEvents } as const;


export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type EventName = keyof typeof events;

/** What a caller passes (defaults optional) and what a handler receives (defaults applied). */
export type Request<M extends MethodName> = z.input<Methods[M]['request']>;
export type ParsedRequest<M extends MethodName> = z.output<Methods[M]['request']>;
export type Response<M extends MethodName> = z.output<Methods[M]['response']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const methodNames = Object.keys(methods) as MethodName[];

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(methods, value);
}
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(events, value);
}

/** The flat, transport-neutral shape every client implements. */
export interface ApiTransport {
  call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Namespaced view of the methods: `api.runs.list({…})`. Derived, never written by hand. */
type Namespace<M extends string> = M extends `${infer NS}.${string}` ? NS : never;
type Member<M extends string, NS extends string> = M extends `${NS}.${infer Name}` ? Name : never;
export type NamespacedApi = {
  [NS in Namespace<MethodName>]: {
    [K in MethodName as Member<K, NS>]: (request: Request<K>) => Promise<Response<K>>;
  };
};

/** Channel names for IPC: one prefix, so the preload lets only Sweeplab's own channels through. */
export const CHANNEL_PREFIX = 'sweeplab:';
export const callChannel = (method: MethodName) => `${CHANNEL_PREFIX}call:${method}`;
export const eventChannel = (event: EventName) => `${CHANNEL_PREFIX}event:${event}`;

/** Builds the namespaced API over any transport. */
export function namespaced(transport: ApiTransport): NamespacedApi {
  const api: Record<string, Record<string, (request: unknown) => Promise<unknown>>> = {};
  for (const name of methodNames) {
    const [ns, member] = name.split('.') as [string, string];
    (api[ns] ??= {})[member] = (request) => transport.call(name, request as never);
  }
  return api as unknown as NamespacedApi;
}
