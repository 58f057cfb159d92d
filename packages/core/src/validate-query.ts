/**
 * Checks what the read and housekeeping calls take — filters, list queries, cleanup options —
 * with the same rules and error paths as the writes' checks in `validate.ts`.
 */

import type { TaskStoreOperation } from './errors.js';
import { describeType } from './ids.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, TASK_STATUSES, type TaskStatus } from './task.js';
import {
  checkDate,
  checkId,
  checkKnownKeys,
  checkObject,
  checkStatus,
  invalidInput,
  MIN_DATE_MS,
} from './validate.js';

/** A checked filter: `null` means "any". Dates are epoch milliseconds. */
export interface NormalizedFilter {
  statuses: TaskStatus[] | null;
  sessionId: string | null;
  userId: string | null;
  createdAfter: number | null;
  createdBefore: number | null;
}

const FILTER_KEYS = ['status', 'sessionId', 'userId', 'createdAfter', 'createdBefore'];
const LIST_KEYS = [...FILTER_KEYS, 'limit', 'cursor', 'offset', 'order'];

/**
 * Checks a `TaskFilter` (or the filter part of a `ListQuery`). Paths name the argument the caller
 * passed: `filter.status` for `count(filter)`, `query.status` for `list(query)`.
 */
export function validateFilter(
  operation: TaskStoreOperation,
  input: unknown,
  known: readonly string[] = FILTER_KEYS,
  path = 'filter',
): NormalizedFilter {
  if (input === undefined)
    return { statuses: null, sessionId: null, userId: null, createdAfter: null, createdBefore: null };
  const f = checkObject(operation, path, input);
  checkKnownKeys(operation, path, f, known);
  let statuses: TaskStatus[] | null = null;
  if (f.status !== undefined) {
    const list = Array.isArray(f.status) ? f.status : [f.status];
    if (list.length === 0)
      invalidInput(operation, `${path}.status`, 'must not be an empty array; omit it to match every status');
    statuses = [
      ...new Set(
        list.map((s, i) =>
          checkStatus(operation, Array.isArray(f.status) ? `${path}.status[${i}]` : `${path}.status`, s),
        ),
      ),
    ];
    statuses.sort((a, b) => TASK_STATUSES.indexOf(a) - TASK_STATUSES.indexOf(b));
  }
  return {
    statuses,
    sessionId: f.sessionId === undefined ? null : checkId(operation, `${path}.sessionId`, f.sessionId),
    userId: f.userId === undefined ? null : checkId(operation, `${path}.userId`, f.userId),
    createdAfter:
      f.createdAfter === undefined
        ? null
        : checkDate(operation, `${path}.createdAfter`, f.createdAfter).getTime(),
    createdBefore:
      f.createdBefore === undefined
        ? null
        : checkDate(operation, `${path}.createdBefore`, f.createdBefore).getTime(),
  };
}

/** Where a page starts: strictly after this (createdAt, taskId) in the query's order. */
export interface ListPosition {
  createdAt: number;
  taskId: string;
}

/** A checked `ListQuery`. */
export interface NormalizedListQuery {
  filter: NormalizedFilter;
  limit: number;
  order: 'asc' | 'desc';
  offset: number;
  after: ListPosition | null;
}

/** Checks a `ListQuery`; the cursor is decoded by the caller with `decodeCursor`. */
export function validateListQuery(
  input: unknown,
): Omit<NormalizedListQuery, 'after'> & { cursor: string | null } {
  const op = 'list';
  const q = input === undefined ? {} : checkObject(op, 'query', input);
  const filter = validateFilter(op, q, LIST_KEYS, 'query');
  let limit = DEFAULT_LIST_LIMIT;
  if (q.limit !== undefined) {
    if (
      typeof q.limit !== 'number' ||
      !Number.isInteger(q.limit) ||
      q.limit < 1 ||
      q.limit > MAX_LIST_LIMIT
    ) {
      invalidInput(op, 'query.limit', `must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    limit = q.limit;
  }
  let offset = 0;
  if (q.offset !== undefined) {
    if (typeof q.offset !== 'number' || !Number.isSafeInteger(q.offset) || q.offset < 0) {
      invalidInput(op, 'query.offset', 'must be a non-negative integer');
    }
    offset = q.offset;
  }
  const order = q.order === undefined ? 'desc' : q.order;
  if (order !== 'asc' && order !== 'desc') invalidInput(op, 'query.order', "must be 'asc' or 'desc'");
  let cursor: string | null = null;
  if (q.cursor !== undefined && q.cursor !== null) {
    if (typeof q.cursor !== 'string') invalidInput(op, 'query.cursor', 'must be a string from nextCursor');
    if (offset > 0) invalidInput(op, 'query.offset', 'give either cursor or offset, not both');
    cursor = q.cursor;
  }
  return { filter, limit, order, offset, cursor };
}

/** Checks `cleanup` options and returns the cutoff as epoch ms. */
export function validateCleanup(input: unknown, now: Date): { cutoff: number; includeActive: boolean } {
  const op = 'cleanup';
  const o = checkObject(op, 'options', input);
  checkKnownKeys(op, 'options', o, ['olderThan', 'includeActive']);
  let cutoff: number;
  if (typeof o.olderThan === 'number') {
    if (!Number.isFinite(o.olderThan) || o.olderThan < 0) {
      invalidInput(op, 'options.olderThan', 'must be a Date or a non-negative age in milliseconds');
    }
    cutoff = now.getTime() - o.olderThan;
    if (cutoff < MIN_DATE_MS) {
      invalidInput(op, 'options.olderThan', 'reaches back before year 0; give a smaller age or a Date');
    }
  } else if (o.olderThan instanceof Date) {
    cutoff = checkDate(op, 'options.olderThan', o.olderThan).getTime();
  } else {
    invalidInput(
      op,
      'options.olderThan',
      `must be a Date or an age in milliseconds, got ${describeType(o.olderThan)}`,
    );
  }
  if (o.includeActive !== undefined && typeof o.includeActive !== 'boolean') {
    invalidInput(op, 'options.includeActive', 'must be a boolean');
  }
  return { cutoff, includeActive: o.includeActive === true };
}
