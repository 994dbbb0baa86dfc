/**
 * The one place where a request from any transport enters the service: the method name is checked
 * against the contract, the payload parsed with the method's schema (unknown fields, wrong types,
 * NaN, oversized strings all rejected) before any handler runs, and every failure leaves as the
 * `{code, message, details}` shape.
 */
import { isMethodName, methods, type MethodName, type ParsedRequest, type Response } from '../../shared/contract';
import { ApiError, describeIssues, type ErrorShape } from '../../shared/errors';

export type Handlers = {
  [M in MethodName]: (request: ParsedRequest<M>) => Promise<Response<M>> | Response<M>;
};

export type DispatchResult = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

export interface Dispatcher {
  dispatch(method: unknown, payload: unknown): Promise<DispatchResult>;
}

export function createDispatcher(
  handlers: Handlers,
  options: {
    onInternalError?: (error: unknown) => void;
    /** Turns a known low-level failure (a read-only folder, a full disk) into the error users see. */
    translate?: (error: unknown) => ApiError | null;
  } = {},
): Dispatcher {
  return {
    async dispatch(method, payload) {
      try {
        if (!isMethodName(method)) throw new ApiError('not_found', `Unknown method: ${String(method).slice(0, 100)}`);
        const schema = methods[method].request;
        const parsed = schema.safeParse(payload ?? {});
        if (!parsed.success) {
          throw new ApiError('invalid_argument', `Invalid request for ${method}: ${describeIssues(parsed.error.issues)}`, {
            issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
          });
        }
        const handler = handlers[method] as (request: unknown) => Promise<unknown>;
        const value = await handler(parsed.data);
        return { ok: true, value };
      } catch (caught) {
        const error = caught instanceof ApiError ? caught : (options.translate?.(caught) ?? caught);
        if (!(error instanceof ApiError)) options.onInternalError?.(error);
        return { ok: false, error: ApiError.from(error).toJSON() };
      }
    },
  };
}
