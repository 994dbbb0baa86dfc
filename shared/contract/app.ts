import { z } from 'zod';
import { BackendName } from '../domain';
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

export const appMethods = {
  'app.info': method(Empty, AppInfo),
} as const;

export const appEvents = {} as const;
