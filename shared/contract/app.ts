import { z } from 'zod';
import { BackendName, BackendState } from '../domain';
import { Empty, method } from './common';

export const AppInfo = z.strictObject({
  version: z.string(),
  /** Compute backends this install can use, best first. */
  backends: z.array(BackendName),
  dataDir: z.string(),
  platform: z.string(),
  transport: z.enum(['electron', 'browser']),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const BackendsResult = z.strictObject({
  /** Every backend in 'auto' order, as a trainer process on this machine finds it. */
  backends: z.array(BackendState),
});
export type BackendsResult = z.infer<typeof BackendsResult>;

export const appMethods = {
  'app.info': method(Empty, AppInfo),
  /** Loads each backend in a trainer process (a second or two the first time; cached after). */
  'app.backends': method(z.strictObject({ refresh: z.boolean().default(false) }), BackendsResult),
} as const;

export const appEvents = {} as const;
