/**
 * `taskvault import-legacy teal-redis <url>`: Teal Agents' Redis persistence — a string key
 * `task_persistence:task:{task_id}` per task (pydantic JSON, written with SETEX) and a set
 * `task_persistence:request_index:{request_id}` of task ids per request — read with SCAN in
 * bounded batches. The tasks carry their items, so taskvault rebuilds its request index from
 * them; Teal's own index is read afterwards only to report entries that point at no task.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { CliError } from '../errors.js';
import { loadDriver } from './driver.js';
import { LegacyProblem } from './problem.js';
import type { LegacyRecord } from './restore-legacy.js';
import { tealTask } from './teal-task.js';

/** Options of the Teal reader. */
export interface TealReadOptions {
  /** Teal's key prefix; default `task_persistence`. */
  prefix?: string;
  /** Keys asked per SCAN step (a hint to Redis); default 500. */
  scanCount?: number;
  /** Keep each key's remaining TTL as the task's expiresAt (default true); false: no expiry. */
  keepExpiry?: boolean;
  /** The clock TTLs are added to. */
  now?: () => number;
}

/** What the reader met besides tasks. */
export interface TealReadReport {
  /** Task keys gone between SCAN and GET (expired meanwhile). */
  vanished: number;
  /** Request-index sets, their entries, and entries whose task key does not exist. */
  indexKeys: number;
  indexEntries: number;
  orphanIndexEntries: number;
}

type IoredisModule = { Redis?: new (url: string, options: RedisOptions) => Redis; default?: unknown };

/** Connects to Teal's Redis. @throws CliError DRIVER_MISSING, SOURCE_UNAVAILABLE */
export async function connectTeal(url: string, cwd: string): Promise<Redis> {
  const mod = await loadDriver<IoredisModule>('ioredis', cwd, 'import-legacy teal-redis');
  const RedisClass = (mod.Redis ?? mod.default) as new (url: string, options: RedisOptions) => Redis;
  const client = new RedisClass(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    commandTimeout: 30_000,
    retryStrategy: (times) => (times > 3 ? null : 200 * times),
  });
  client.on('error', () => {}); // reported through the failing command instead
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new CliError('SOURCE_UNAVAILABLE', `cannot reach Teal's Redis: ${(error as Error).message}`);
  }
  return client;
}

/** SCANs keys matching `pattern`, one reply's keys at a time. */
async function* scanKeys(client: Redis, pattern: string, count: number): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    if (keys.length > 0) yield keys;
    cursor = next;
  } while (cursor !== '0');
}

/**
 * Teal's task records, each with its remaining TTL, read a SCAN reply at a time (one pipeline
 * of GET + PTTL per reply).
 */
export async function* tealRecords(
  client: Redis,
  report: TealReadReport,
  options: TealReadOptions = {},
): AsyncGenerator<LegacyRecord> {
  const prefix = `${options.prefix ?? 'task_persistence'}:task:`;
  const now = options.now ?? Date.now;
  for await (const keys of scanKeys(client, `${escapeGlob(prefix)}*`, options.scanCount ?? 500)) {
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.get(key).pttl(key);
    const replies = (await pipeline.exec()) ?? [];
    const readAt = now();
    for (let i = 0; i < keys.length; i++) {
      const [getError, value] = replies[2 * i] ?? [];
      const [, pttl] = replies[2 * i + 1] ?? [];
      if (getError) throw getError;
      if (value === null || value === undefined) {
        report.vanished++;
        continue;
      }
      const ttl = typeof pttl === 'number' && pttl > 0 && options.keepExpiry !== false ? pttl : null;
      const key = keys[i]!;
      yield {
        origin: key,
        toTask: () => {
          const task = tealTask(String(value), ttl === null ? null : new Date(readAt + ttl));
          // Teal names the key after the task; a record under another name was not written by it.
          if (key !== `${prefix}${task.taskId}`)
            throw new LegacyProblem('task_id', `${JSON.stringify(task.taskId)} does not match its key`);
          return task;
        },
      };
    }
  }
}

/** Counts Teal's request-index entries and those that point at no task key. */
export async function checkTealIndex(
  client: Redis,
  report: TealReadReport,
  options: TealReadOptions = {},
): Promise<void> {
  const prefix = options.prefix ?? 'task_persistence';
  for await (const keys of scanKeys(
    client,
    `${escapeGlob(`${prefix}:request_index:`)}*`,
    options.scanCount ?? 500,
  )) {
    const members = await Promise.all(keys.map((key) => client.smembers(key)));
    report.indexKeys += keys.length;
    const ids = members.flat();
    report.indexEntries += ids.length;
    if (ids.length === 0) continue;
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.exists(`${prefix}:task:${id}`);
    const replies = (await pipeline.exec()) ?? [];
    report.orphanIndexEntries += replies.filter(([, exists]) => exists === 0).length;
  }
}

/** Escapes SCAN MATCH's glob characters in a literal prefix. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
