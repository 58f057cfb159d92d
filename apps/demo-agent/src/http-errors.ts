/**
 * One table from errors to HTTP answers. Every error response is
 * `{ error: { code, message, field? } }`; none ever carries a stack trace.
 */
import { isTaskStoreError, MAX_ID_BYTES, type TaskStoreErrorCode } from '@taskvault/core';
import { AgentError } from './agent.js';

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** An HTTP status and the body to send with it. */
export interface HttpError {
  status: number;
  body: ErrorBody;
}

const STORE_STATUS: { [C in TaskStoreErrorCode]: number } = {
  TASK_NOT_FOUND: 404,
  TASK_EXISTS: 409,
  VERSION_CONFLICT: 409,
  INVALID_INPUT: 400,
  BACKEND_UNAVAILABLE: 503,
  // a store closed while the server shuts down: the service is going away, retry elsewhere
  STORE_CLOSED: 503,
  CORRUPT_DATA: 500,
  BACKEND_ERROR: 500,
  CONFIG_INVALID: 500,
};

const AGENT_STATUS = { INVALID_INPUT: 400, TASK_NOT_FOUND: 404, INVALID_STATE: 409 } as const;

/** The store's input paths as the HTTP API names them (`query.cursor` of `list` is `cursor`). */
function fieldOf(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  return path.replace(/^(query|filter|patch)\./, '');
}

function body(code: string, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** Errors Fastify's router raises before any route runs; their own messages echo the whole path. */
const ROUTER_ERRORS: Record<string, HttpError> = {
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    body: body(
      'URI_TOO_LONG',
      `a path segment is longer than ${4 * MAX_ID_BYTES} characters; ids are at most ${MAX_ID_BYTES} UTF-8 bytes`,
    ),
  },
  FST_ERR_BAD_URL: {
    status: 400,
    body: body(
      'INVALID_INPUT',
      'the path is not valid percent-encoding; encode each id with encodeURIComponent',
      'url',
    ),
  },
};

/**
 * The whole HTTP response for a request Node's parser rejected before Fastify saw it (headers too
 * large, malformed request line): the same JSON error shape as every other answer.
 */
export function clientErrorResponse(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const [status, reason, answer] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          body('HEADERS_TOO_LARGE', 'the request headers are too large'),
        ]
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', body('REQUEST_TIMEOUT', 'the request was not received in time')]
        : [400, 'Bad Request', body('BAD_REQUEST', 'the request is not well-formed HTTP')];
  const json = JSON.stringify(answer);
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`
  );
}

/**
 * The HTTP answer for `error`: agent errors and store errors by code, Fastify's own request
 * errors (bad JSON, wrong content type, body too large) by their status; anything else is a 500
 * with a generic message (the details go to the log, not to the client).
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof AgentError) {
    return { status: AGENT_STATUS[error.code], body: body(error.code, error.message, error.field) };
  }
  if (isTaskStoreError(error)) {
    return {
      status: STORE_STATUS[error.code],
      body: body(error.code, error.message, error.code === 'INVALID_INPUT' ? fieldOf(error.path) : undefined),
    };
  }
  const e = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  const router = ROUTER_ERRORS[e?.code as string];
  if (router !== undefined) return router;
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const message = typeof e.message === 'string' ? e.message : 'bad request';
    if (e.statusCode === 415)
      return { status: 415, body: body('UNSUPPORTED_MEDIA_TYPE', `${message}; send application/json`) };
    if (e.statusCode === 413) return { status: 413, body: body('PAYLOAD_TOO_LARGE', message) };
    if (e.statusCode === 400) return { status: 400, body: body('INVALID_INPUT', message, 'body') };
    return { status: e.statusCode, body: body('BAD_REQUEST', message) };
  }
  return { status: 500, body: body('INTERNAL_ERROR', 'internal error; the server log has the details') };
}
