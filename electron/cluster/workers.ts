/** The workers a broker knows, from their heartbeats (`sweeplab workers`, the app's Workers view). */
import { WorkerInfo, type WorkerStatus } from '../../shared/contract/cluster';
import { keys, openConnection, probeBroker, type BrokerOptions } from './broker';
import { LOST_AFTER_S } from './worker';

export async function listWorkers(broker: string, options: BrokerOptions = {}, now = Date.now()): Promise<WorkerStatus[]> {
  await probeBroker(broker, options);
  const redis = openConnection(broker, options);
  try {
    const names = (await redis.smembers(keys.workers)).sort();
    if (!names.length) return [];
    const values = await redis.mget(names.map(keys.worker));
    const result: WorkerStatus[] = [];
    names.forEach((name, i) => {
      const raw = values[i];
      if (!raw) return void redis.srem(keys.workers, name); // expired a day after its last heartbeat
      const parsed = WorkerInfo.safeParse(JSON.parse(raw));
      if (!parsed.success) return;
      const seconds = Math.max(0, (now - Date.parse(parsed.data.heartbeatAt)) / 1000);
      result.push({ ...parsed.data, lost: seconds > LOST_AFTER_S, secondsSinceHeartbeat: Math.round(seconds * 10) / 10 });
    });
    return result;
  } finally {
    redis.disconnect();
  }
}
