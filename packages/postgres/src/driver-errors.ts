/**
 * pg errors -> TaskStoreError codes. BACKEND_UNAVAILABLE: the server could not be reached, did
 * not answer in time, or said it is starting, shutting down or not serving; retrying later may
 * work. BACKEND_ERROR: it answered with any other error.
 */
import type { TaskStoreError } from '@taskvault/core';
import { type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';

/** Raised by the driver when no pooled connection was free or made within the acquire timeout. */
export class AcquireTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no connection within ${timeoutMs} ms (pool exhausted or server not answering)`);
    this.name = 'AcquireTimeoutError';
  }
}

/**
 * SQLSTATEs that mean "not serving right now": class 08 (connection exception), 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up / recovering),
 * 57014 query_canceled (our statement_timeout fired: the server did not answer in time),
 * 53300 too_many_connections (the server refuses new clients for now).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '53300']);

/** Node socket error codes of an unreachable or vanished server. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Messages pg uses for connection-level failures that carry no code. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout expired/i,
  /timeout exceeded when trying to connect/i,
  /query read timeout/i,
  /not queryable/i,
  /connection (?:was )?closed/i,
  /server closed the connection/i,
  /socket hang up/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/** True for a SQLSTATE (five characters, digits and upper-case letters). */
function isSqlState(code: string | undefined): code is string {
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * True when `error` means the server could not be reached or did not answer in time. Looks
 * through `cause` and AggregateError members (a connect to `localhost` tries several addresses).
 */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (error === null || error === undefined || depth > 4) return false;
  if (error instanceof AcquireTimeoutError) return true;
  const code = codeOf(error);
  if (isSqlState(code)) return code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code);
  if (code !== undefined && UNAVAILABLE_ERRNOS.has(code)) return true;
  if (UNAVAILABLE_MESSAGES.some((re) => re.test(messageOf(error)))) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isUnavailable(e, depth + 1))) return true;
  return isUnavailable((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * True when the connection that raised `error` must not be reused: anything that is not an
 * error reply from the server (those carry a SQLSTATE and leave the session usable).
 */
export function breaksConnection(error: unknown): boolean {
  return !isSqlState(codeOf(error));
}

/** A short description of a driver error for a message: SQLSTATE and text, never a secret. */
export function describeDriverError(error: unknown): string {
  const code = codeOf(error);
  const text = messageOf(error) || (error instanceof AggregateError ? messageOf(error.errors[0]) : '');
  return code === undefined || text.includes(code) ? text : `${code} ${text}`;
}

/**
 * The TaskStoreError for a driver error: BACKEND_UNAVAILABLE or BACKEND_ERROR, with the driver
 * error as `cause` and its description (secrets scrubbed by core) as detail.
 */
export function wrapDriverError(
  operation: TaskStoreOperation,
  error: unknown,
  taskId?: string,
): TaskStoreError {
  const code = isUnavailable(error) ? 'BACKEND_UNAVAILABLE' : 'BACKEND_ERROR';
  return taskStoreError(operation, code, {
    backend: 'postgres',
    taskId,
    detail: describeDriverError(error),
    cause: error,
  });
}
