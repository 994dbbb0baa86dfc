import { z } from 'zod';
import { Sweep, SweepSpec } from '../domain';
import { ById, Empty, method } from './common';

export const sweepMethods = {
  'sweeps.list': method(Empty, z.array(Sweep)),
  'sweeps.get': method(ById, Sweep),
  'sweeps.create': method(
    z.strictObject({ spec: SweepSpec, concurrency: z.number().int().min(1).max(64).optional(), start: z.boolean().default(true) }),
    Sweep,
  ),
} as const;

export const sweepEvents = {
  'sweep.updated': Sweep,
} as const;
