/** Building blocks shared by the per-domain contract files. */
import { z } from 'zod';
import { Id } from '../domain';

export const Empty = z.strictObject({});
export const Ok = z.strictObject({ ok: z.literal(true) });
export const ById = z.strictObject({ id: Id });
export const Page = {
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
};

export function method<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) {
  return { request, response };
}
