/**
 * The opaque `list` cursor: the (createdAt, taskId) of the last task returned, the order, and a
 * fingerprint of the filter, so a cursor cannot silently be replayed against another query.
 * Keyset paging on that position never repeats a task and never skips one that survived the
 * walk, whatever is created or deleted meanwhile.
 */
import { taskStoreError } from './errors.js';
import { idProblem } from './ids.js';
import { MAX_DATE_MS, MIN_DATE_MS } from './validate.js';
import type { ListPosition, NormalizedFilter } from './validate-query.js';

const VERSION = 1;

/** Encodes the position after which the next page starts. */
export function encodeCursor(
  position: ListPosition,
  order: 'asc' | 'desc',
  filter: NormalizedFilter,
): string {
  const body = JSON.stringify([
    VERSION,
    order === 'asc' ? 1 : 0,
    position.createdAt,
    position.taskId,
    fingerprint(filter),
  ]);
  return Buffer.from(body, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same order and filter.
 * @throws TaskQueryError INVALID_INPUT (path `query.cursor`) for anything else.
 */
export function decodeCursor(cursor: string, order: 'asc' | 'desc', filter: NormalizedFilter): ListPosition {
  const fail = (detail: string): never => {
    throw taskStoreError('list', 'INVALID_INPUT', { path: 'query.cursor', detail });
  };
  if (cursor.length === 0 || cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    fail('is not a cursor returned by list (malformed)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return fail('is not a cursor returned by list (malformed)');
  }
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== VERSION) {
    return fail('is not a cursor returned by list (malformed or from another version)');
  }
  const [, orderFlag, createdAt, taskId, print] = parsed as [number, unknown, unknown, unknown, unknown];
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || idProblem(taskId) !== null) {
    return fail('is not a cursor returned by list (malformed)');
  }
  // A position no task can have (outside years 0-9999) did not come from a real page.
  if (createdAt < MIN_DATE_MS || createdAt > MAX_DATE_MS) {
    return fail('is not a cursor returned by list (its position is out of range)');
  }
  if (orderFlag !== (order === 'asc' ? 1 : 0))
    fail(`was made for order '${order === 'asc' ? 'desc' : 'asc'}'`);
  if (print !== fingerprint(filter)) fail('was made for a different filter; start again without a cursor');
  return { createdAt, taskId: taskId as string };
}

/** A short, stable digest of a filter (FNV-1a over its canonical JSON). */
function fingerprint(filter: NormalizedFilter): string {
  const text = JSON.stringify([
    filter.statuses,
    filter.sessionId,
    filter.userId,
    filter.createdAfter,
    filter.createdBefore,
  ]);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}
