/**
 * ioredis and Redis errors -> TaskStoreError codes. BACKEND_UNAVAILABLE: the server could not be
 * reached, did not answer in time, or said it is loading, failing over or busy (retrying later may
 * work). BACKEND_ERROR: it answered with any other error. Messages go through core's scrubSecrets,
 * so no password or connection string ever reaches a caller.
 */
import type { TaskStoreError } from '@taskvault/core';
import { scrubSecrets, type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';

/** The store gave up waiting for a connection or a reply (bounded waits, never a hang). */
export class RedisNotAnswering extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisNotAnswering';
  }
}

/** A key where the store expects one of its own structures holds another type of value. */
export class ForeignValue extends Error {
  constructor(readonly key: string) {
    super(`key ${JSON.stringify(key)} holds a value of another type than taskvault stores there`);
    this.name = 'ForeignValue';
  }
}

/**
 * An error reply a script met (through `redis.pcall`) and handed back after taking out what it had
 * written, as the server worded it: its code comes first (`OOM ...`, `READONLY ...`).
 */
export class ScriptRefusal extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'ReplyError';
  }
}

/**
 * What a script's `{'REFUSED', key, error reply}` means: a foreign value under `key` (WRONGTYPE),
 * or any other refusal, kept as the server's reply so it is mapped by its own code.
 */
export function refusal(key: string, reply: string): Error {
  return replyCode(reply) === 'WRONGTYPE' ? new ForeignValue(key) : new ScriptRefusal(reply, key);
}

/** True for Redis' WRONGTYPE reply: a key holds another type of value than the command works on. */
export function isWrongType(error: unknown): boolean {
  return error instanceof Error && replyCode(error.message) === 'WRONGTYPE';
}

/** True for a CLUSTERDOWN reply: the cluster refused the command without running it. */
export function isClusterDown(error: unknown): boolean {
  return error instanceof Error && /^CLUSTERDOWN\b/.test(error.message);
}

/**
 * The error code a Redis reply starts with (`OOM`, `WRONGTYPE`, `BUSY` ...), or null. A reply
 * raised by `redis.call` inside a script keeps its code first on Redis 7 (`OOM command not allowed
 * ... script: ...`); Redis 6 wraps it as `ERR Error running script ...: -OOM ...`, so the code
 * after the dash counts there.
 */
export function replyCode(message: string): string | null {
  const wrapped = /^ERR Error running script\b.*?: -([A-Z][A-Z_]+)\b/.exec(message);
  if (wrapped) return wrapped[1]!;
  return /^([A-Z][A-Z_]+)(?: |$)/.exec(message)?.[1] ?? null;
}

/** What a reply code means: whether the server is (for now) not serving, and plain words for it. */
interface ReplyMeaning {
  unavailable: boolean;
  words: string;
}

/**
 * Every reply code the store explains. The "not now" ones (loading, failing over, busy, read-only,
 * not persisting) are BACKEND_UNAVAILABLE: retrying later may work. OOM is BACKEND_ERROR: the
 * server is up and answered, the write was refused before anything was written, and it stays
 * refused until memory is freed or maxmemory raised (see docs/contract.md, "Redis hardening").
 */
const REPLY_MEANINGS: Record<string, ReplyMeaning> = {
  LOADING: { unavailable: true, words: 'Redis is loading its data set into memory and serves nothing yet' },
  CLUSTERDOWN: { unavailable: true, words: 'the Redis Cluster is down (a slot has no serving master)' },
  TRYAGAIN: {
    unavailable: true,
    words: 'the Redis Cluster is moving the keys of this slot; the command did not run',
  },
  MASTERDOWN: { unavailable: true, words: 'the Redis replica lost its link to the master' },
  BUSY: {
    unavailable: true,
    words: 'Redis is busy running a script or function and answers nothing else until it ends',
  },
  READONLY: { unavailable: true, words: 'the connection is to a read-only replica; writes need the master' },
  NOREPLICAS: { unavailable: true, words: 'not enough replicas are connected for Redis to accept writes' },
  MISCONF: {
    unavailable: true,
    words:
      'Redis refuses writes because it could not save its snapshot to disk (stop-writes-on-bgsave-error)',
  },
  OOM: {
    unavailable: false,
    words:
      'Redis is out of memory: used memory is above maxmemory, so it refuses writes (maxmemory-policy noeviction); nothing was written. Free memory (cleanup() or clear() old tasks, or remove other data) or raise maxmemory',
  },
  WRONGTYPE: {
    unavailable: false,
    words:
      'WRONGTYPE: a key taskvault uses in this namespace holds another type of value; something other than taskvault wrote it',
  },
  NOSCRIPT: { unavailable: false, words: 'Redis does not have the script (NOSCRIPT)' },
  NOPERM: {
    unavailable: false,
    words:
      'the Redis user lacks a permission taskvault needs (ACL: EVALSHA, EVAL and the commands its scripts run)',
  },
};

/** ioredis' own messages for a connection that is gone, not ready, or did not answer in time. */
const UNAVAILABLE_CLIENT_MESSAGE = [
  'Connection is closed',
  "Stream isn't writeable",
  'Command timed out',
  'Reached the max retries per request limit',
  "Cluster isn't ready",
  'Cluster is ended',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'Too many Cluster redirections. Last error: CLUSTERDOWN',
  'Too many Cluster redirections. Last error: TRYAGAIN',
  'Too many Cluster redirections. Last error: Error: Connection is closed',
];

/** Socket-level error codes of Node (and DNS): the server could not be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);

/** True when `error` means the server is (for now) out of reach. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof RedisNotAnswering) return true;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  const networkCode = (error as { code?: unknown }).code;
  if (typeof networkCode === 'string' && NETWORK_CODES.has(networkCode)) return true;
  const message = error.message;
  const code = replyCode(message);
  if (code !== null) return REPLY_MEANINGS[code]?.unavailable ?? false;
  return UNAVAILABLE_CLIENT_MESSAGE.some((m) => message.startsWith(m));
}

/** Plain words for ioredis' own messages. */
const CLIENT_MESSAGE_WORDS: [string, string][] = [
  ['Reached the max retries per request limit', 'the connection was lost before the reply arrived'],
  ['Connection is closed', 'the connection was lost before the reply arrived'],
  ["Stream isn't writeable", 'not connected to Redis'],
  ['Command timed out', 'no reply within commandTimeoutMs'],
  ["Cluster isn't ready", 'the cluster connection is not ready'],
];

/** A short, secret-free explanation of a driver error. */
export function describeDriverError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const words = CLIENT_MESSAGE_WORDS.find(([prefix]) => message.startsWith(prefix));
  if (words) return words[1];
  if (error instanceof ForeignValue) {
    return `${error.message}; something other than taskvault wrote it: inspect that key (its data is not taskvault's)`;
  }
  const code = replyCode(message);
  const meaning = code === null ? undefined : REPLY_MEANINGS[code];
  if (meaning) return meaning.words;
  const text = scrubSecrets(message.replace(/\s+/g, ' ').trim());
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/**
 * A copy of a driver error that keeps its name, code and scrubbed message only: ioredis errors
 * carry the failed command with its arguments (an AUTH reply error would carry the password).
 */
function safeCause(error: unknown, detail: string): Error {
  const copy = new Error(detail);
  if (error instanceof Error) {
    copy.name = error.name;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') Object.assign(copy, { code });
  }
  return copy;
}

/** Turns any driver error into the TaskStoreError of `operation`. */
export function wrapDriverError(
  operation: TaskStoreOperation,
  error: unknown,
  taskId?: string,
): TaskStoreError {
  const code = isUnavailable(error) ? 'BACKEND_UNAVAILABLE' : 'BACKEND_ERROR';
  const detail = describeDriverError(error);
  return taskStoreError(operation, code, {
    backend: 'redis',
    taskId,
    detail,
    cause: safeCause(error, detail),
  });
}
