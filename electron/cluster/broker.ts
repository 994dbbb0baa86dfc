/**
 * The broker: a Redis server that BullMQ (trial queue, stalled-job handling) and a few plain Redis
 * structures (an events stream per coordinator, checkpoints, data sets, worker heartbeats) share.
 *
 * URLs: redis://[:password@]host:port[/db] or rediss://… (TLS, ioredis parses it). The password is
 * never printed: every message names the broker through redactBrokerUrl.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ApiError } from '../../shared/errors';

/** Where the queue and keys live (one namespace per broker; several coordinators may share it). */
export const QUEUE_NAME = 'sweeplab-trials';
export const keys = {
  checkpoint: (runId: string) => `sweeplab:ckpt:${runId}`,
  cancel: (runId: string) => `sweeplab:cancel:${runId}`,
  cancelChannel: 'sweeplab:cancel',
  dataset: (checksum: string) => `sweeplab:dataset:${checksum}`,
  worker: (name: string) => `sweeplab:worker:${name}`,
  workers: 'sweeplab:workers',
  events: (coordinatorId: string) => `sweeplab:events:${coordinatorId}`,
};
/** The consumer group (and consumer) of a coordinator's events stream. */
export const EVENTS_GROUP = 'coordinator';

/** The URL with its password (and user name) replaced by ***: safe for logs, the UI and exports. */
export function redactBrokerUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username && u.username !== 'default') u.username = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<malformed broker URL>';
  }
}

/** Any text with broker URLs in it, redacted (error messages from the client library may quote one). */
export function redactText(text: string): string {
  return text.replace(/rediss?:\/\/[^\s'"]+/g, (m) => redactBrokerUrl(m));
}

export function parseBrokerUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ApiError('invalid_argument', 'The broker URL is not a URL: write redis://[:password@]host:port[/db] or rediss://… for TLS');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ApiError('invalid_argument', `The broker URL must start with redis:// or rediss:// (got ${u.protocol}//)`);
  }
  return u;
}

export interface BrokerOptions {
  /** Extra TLS options for rediss:// (a private CA in tests: { ca }). */
  tls?: RedisOptions['tls'];
}

/**
 * A connection for long-lived use (BullMQ requires maxRetriesPerRequest null): it reconnects by
 * itself when the broker goes away and comes back, and commands wait meanwhile.
 */
export function openConnection(url: string, options: BrokerOptions = {}, extra: RedisOptions = {}): Redis {
  parseBrokerUrl(url);
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    ...(url.startsWith('rediss:') ? { tls: options.tls ?? {} } : {}),
    ...extra,
  });
  // ioredis logs unhandled 'error' events itself, with the URL; they are reported by whoever
  // watches the connection (see watchConnection), redacted, once per outage.
  redis.on('error', () => undefined);
  return redis;
}

/** Turns a client error into one clear line that never shows the password. */
export function describeBrokerError(url: string, error: unknown): ApiError {
  const where = redactBrokerUrl(url);
  const text = redactText(error instanceof Error ? error.message : String(error));
  if (/WRONGPASS|invalid password|NOAUTH|AUTH failed|invalid username-password/i.test(text)) {
    return new ApiError('permission_denied', `The broker at ${where} refused the password (check the password in the broker URL)`);
  }
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|timed out|Connection is closed|EAI_AGAIN/i.test(text)) {
    return new ApiError('unavailable', `Cannot reach the broker at ${where} (${text.split('\n')[0]}): is redis-server running there?`);
  }
  return new ApiError('unavailable', `The broker at ${where} failed: ${text.split('\n')[0]}`);
}

/**
 * Checks once that the broker answers (and accepts the password) before anything is started:
 * one clear error instead of a client retrying forever.
 */
export async function probeBroker(url: string, options: BrokerOptions = {}, timeoutMs = 5000): Promise<void> {
  parseBrokerUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
    ...(url.startsWith('rediss:') ? { tls: options.tls ?? {} } : {}),
  });
  let lastError: unknown = null;
  redis.on('error', (e) => (lastError = e));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw describeBrokerError(url, lastError ?? error);
  } finally {
    redis.disconnect();
  }
}

/** Reports a connection's outages once each (redacted) and its return; returns the unsubscribe. */
export function watchConnection(redis: Redis, url: string, log: (line: string) => void): () => void {
  let down = false;
  const onError = (error: unknown) => {
    if (down) return;
    down = true;
    log(`${describeBrokerError(url, error).message}; retrying until it is back`);
  };
  const onReady = () => {
    if (!down) return;
    down = false;
    log(`the broker at ${redactBrokerUrl(url)} is back`);
  };
  redis.on('error', onError);
  redis.on('ready', onReady);
  return () => {
    redis.off('error', onError);
    redis.off('ready', onReady);
  };
}
