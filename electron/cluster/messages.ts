/**
 * What a worker writes to its coordinator's events stream (a Redis stream, read by a consumer
 * group: durable, so messages written while the coordinator is down wait for it). One field `m`
 * per entry, a JSON ClusterEvent; the coordinator validates each one.
 */
import { z } from 'zod';
import { BackendName, Id } from '../../shared/domain';
import { FromTrainer } from '../trainer/protocol';

const about = { runId: Id, nonce: z.string().max(64), worker: z.string().max(200) };

export const ClusterEvent = z.discriminatedUnion('kind', [
  /** A trainer message, relayed as is (an epoch's checkpoint is in the broker before its epoch is). */
  z.strictObject({ kind: z.literal('trainer'), ...about, message: FromTrainer }),
  /** How the trial ended on that worker. */
  z.strictObject({
    kind: z.literal('outcome'),
    ...about,
    outcome: z.strictObject({
      status: z.enum(['completed', 'diverged', 'cancelled', 'failed']),
      error: z.string().nullable(),
      code: z.string().nullable(),
      backend: BackendName.nullable(),
      lastEpoch: z.number().int().min(0),
      maxRssBytes: z.number().nullable(),
    }),
  }),
]);
export type ClusterEvent = z.infer<typeof ClusterEvent>;

/** The epoch recorded in a checkpoint file's header (engine/checkpoint.ts layout), or null. */
export function checkpointEpoch(file: Buffer): number | null {
  const magic = 'SWEEPLAB-CKPT 1\n';
  if (file.length < magic.length + 4 || file.toString('utf8', 0, magic.length) !== magic) return null;
  const length = file.readUInt32LE(magic.length);
  if (file.length < magic.length + 4 + length) return null;
  try {
    const header = JSON.parse(file.toString('utf8', magic.length + 4, magic.length + 4 + length)) as { epoch?: unknown };
    return typeof header.epoch === 'number' ? header.epoch : null;
  } catch {
    return null;
  }
}
