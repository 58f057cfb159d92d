/**
 * ioredis and Redis errors -> TaskStoreError codes. BACKEND_UNAVAILABLE: the server could not be
 * reached, did not answer in time, or said it is loading, failing over or busy (retrying later may
 * work). BACKEND_ERROR: it answered with any other error. Messages go through core's scrubSecrets,
 * so no password or connection string ever reaches a caller.
 */
import { scrubSecrets, type TaskStoreError, type TaskStoreOperation, taskStoreError } from '@taskvault/core';

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

/** True for Redis' WRONGTYPE reply: a key holds another type of value than the command works on. */
export function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

/** True for a CLUSTERDOWN reply: the cluster refused the command without running it. */
export function isClusterDown(error: unknown): boolean {
  return error instanceof Error && /^CLUSTERDOWN\b/.test(error.message);
}

/** Replies by which a server says "not now": loading, cluster down or resharding, failover, busy. */
const UNAVAILABLE_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|BUSY|READONLY|NOREPLICAS|MISCONF)\b/;

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
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const message = error.message;
  if (UNAVAILABLE_REPLY.test(message)) return true;
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
    return `${error.message}; something other than taskvault wrote it: inspect or delete that key`;
  }
  if (message.includes('WRONGTYPE')) {
    return 'WRONGTYPE: a key taskvault uses in this namespace holds another type of value; something other than taskvault wrote it';
  }
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
