import { createRuntime, type Runtime } from '../../electron/runtime';
import { tempDir } from './fixtures';
import type { MethodName, Request, Response } from '../../shared/contract';
import { ApiError } from '../../shared/errors';

/** A runtime on a fresh temporary data folder, with a typed `call` that throws ApiError. */
export async function testRuntime(): Promise<{
  runtime: Runtime;
  dataDir: string;
  call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>>;
  dispose(): Promise<void>;
}> {
  const dir = tempDir();
  const runtime = await createRuntime({ dataDir: dir.path, transport: 'browser' });
  return {
    runtime,
    dataDir: dir.path,
    async call(method, request) {
      const result = await runtime.service.dispatch(method, request);
      if (!result.ok) throw ApiError.from(result.error);
      return result.value as never;
    },
    async dispose() {
      await runtime.close();
      dir.remove();
    },
  };
}
