/**
 * The one contract of Sweeplab: every API method (request → response) and every event, as zod
 * schemas. Electron IPC, the HTTP + WebSocket transport, the CLI and the renderer all derive their
 * types (and their channel names) from the two maps below; a method name is written once, here.
 */
import { z } from 'zod';
import {
  Dataset,
  EpochMetrics,
  Id,
  ModelSpec,
  Run,
  RunStatus,
  BackendName,
  Sweep,
  SweepSpec,
  TrainConfig,
} from './domain';
import { ErrorShape } from './errors';

const Empty = z.strictObject({});
const Ok = z.strictObject({ ok: z.literal(true) });
const ById = z.strictObject({ id: Id });
const Page = {
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
};

function method<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) {
  return { request, response };
}

export const AppInfo = z.strictObject({
  version: z.string(),
  /** Compute backends this install can use, best first. */
  backends: z.array(BackendName),
  dataDir: z.string(),
  platform: z.string(),
  transport: z.enum(['electron', 'browser']),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const RunFilter = z.strictObject({
  ...Page,
  status: z.array(RunStatus).max(10).optional(),
  datasetId: Id.optional(),
  sweepId: Id.optional(),
  search: z.string().max(200).optional(),
  starred: z.boolean().optional(),
  sort: z.enum(['createdAt', 'name', 'bestValAcc', 'status']).default('createdAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type RunFilter = z.input<typeof RunFilter>;

export const CreateRun = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  datasetId: Id,
  model: ModelSpec,
  config: TrainConfig,
  /** Start training now (default). False stores a queued run only. */
  start: z.boolean().default(true),
});
export type CreateRun = z.input<typeof CreateRun>;

export const UpdateRun = z.strictObject({
  id: Id,
  name: z.string().trim().min(1).max(200).optional(),
  starred: z.boolean().optional(),
  tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
  notes: z.string().max(20_000).optional(),
});

export const ImportDatasets = z.strictObject({
  /** Files or folders on the machine that runs the main process. */
  paths: z.array(z.string().min(1).max(4096)).min(1).max(1000),
  name: z.string().trim().min(1).max(200).optional(),
  /** Size of the seeded hold-out when the files have no test split (default: 1/6 of the training data). */
  holdOut: z.number().int().min(1).optional(),
  /** Image-folder imports: resize to this square size (default 28). */
  imageSize: z.number().int().min(4).max(256).optional(),
});

export const CatalogId = z.enum(['mnist', 'fashion-mnist', 'kmnist']);
export type CatalogId = z.infer<typeof CatalogId>;

export const DatasetDetail = z.strictObject({
  dataset: Dataset,
  /** A few PNG data URLs per class, for previews: samples[classIndex] = [dataUrl, …]. */
  samples: z.array(z.array(z.string())),
});

export const methods = {
  'app.info': method(Empty, AppInfo),

  'runs.list': method(RunFilter, z.strictObject({ items: z.array(Run), total: z.number().int() })),
  'runs.get': method(ById, Run),
  'runs.epochs': method(ById, z.array(EpochMetrics)),
  'runs.create': method(CreateRun, Run),
  'runs.update': method(UpdateRun, Run),
  'runs.cancel': method(ById, Run),
  'runs.resume': method(ById, Run),
  'runs.delete': method(ById, Ok),

  'datasets.list': method(Empty, z.array(Dataset)),
  'datasets.get': method(z.strictObject({ id: Id, samplesPerClass: z.number().int().min(0).max(32).default(6) }), DatasetDetail),
  'datasets.import': method(ImportDatasets, Dataset),
  'datasets.download': method(z.strictObject({ catalogId: CatalogId, name: z.string().trim().min(1).max(200).optional() }), Dataset),
  'datasets.rename': method(z.strictObject({ id: Id, name: z.string().trim().min(1).max(200) }), Dataset),
  'datasets.delete': method(z.strictObject({ id: Id, cascade: z.boolean().default(false) }), Ok),

  'sweeps.list': method(Empty, z.array(Sweep)),
  'sweeps.get': method(ById, Sweep),
  'sweeps.create': method(z.strictObject({ spec: SweepSpec, concurrency: z.number().int().min(1).max(64).optional(), start: z.boolean().default(true) }), Sweep),
} as const;

export const events = {
  /** A run was created or changed (status, name, best accuracy…). */
  'run.updated': Run,
  'run.deleted': ById,
  /** A run finished an epoch; sent as soon as the epoch is stored. */
  'run.epoch': z.strictObject({ runId: Id, metrics: EpochMetrics }),
  'run.log': z.strictObject({ runId: Id, level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  'dataset.updated': Dataset,
  'dataset.deleted': ById,
  /** Import or download progress; `done`/`total` in bytes or items as `unit` says. */
  'dataset.progress': z.strictObject({
    taskId: z.string(),
    phase: z.enum(['download', 'verify', 'parse', 'store', 'done', 'failed']),
    label: z.string(),
    done: z.number(),
    total: z.number().nullable(),
    error: ErrorShape.optional(),
  }),
  'sweep.updated': Sweep,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type EventName = keyof typeof events;

/** What a caller passes (defaults optional) and what a handler receives (defaults applied). */
export type Request<M extends MethodName> = z.input<Methods[M]['request']>;
export type ParsedRequest<M extends MethodName> = z.output<Methods[M]['request']>;
export type Response<M extends MethodName> = z.output<Methods[M]['response']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const methodNames = Object.keys(methods) as MethodName[];
export const eventNames = Object.keys(events) as EventName[];

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
