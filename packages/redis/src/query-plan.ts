/**
 * Which index answers a filter, and what is left to check per task. What each costs:
 * - no filter: the `all` index; status filter: the st:<status> indexes (merged when several):
 *   a page is O(log n + page), a count O(log n) per status.
 * - createdAfter / createdBefore: bounds on the same lex indexes, no extra cost for a page;
 *   a count is O(log n + expired tasks not yet purged).
 * - sessionId (or else userId): that session's (user's) index, every other condition checked per
 *   task: O(tasks of that session/user in the date range).
 */
import type { TaskStatus } from '@taskvault/core';
import type { NormalizedFilter } from '@taskvault/core/adapter';
import { lowerBound, upperBound } from './keys.js';

export interface IndexPlan {
  /** Index suffixes to walk (merged in order). */
  drive: string[];
  /** Statuses still to check per task, comma-separated ('' = none). */
  checkStatuses: string;
  /** sessionId / userId still to check per task, as JSON text ('' = none). */
  checkSession: string;
  checkUser: string;
  /** ZRANGE BYLEX bounds from the date filters ('' = open). */
  lower: string;
  upper: string;
}

/** Plans a list (or a count that must walk) for a filter. */
export function planIndexes(filter: NormalizedFilter): IndexPlan {
  const lower = lowerBound(filter.createdAfter);
  const upper = upperBound(filter.createdBefore);
  const statuses = filter.statuses === null ? '' : filter.statuses.join(',');
  if (filter.sessionId !== null) {
    return {
      drive: [`ss:${filter.sessionId}`],
      checkStatuses: statuses,
      checkSession: '',
      checkUser: filter.userId === null ? '' : JSON.stringify(filter.userId),
      lower,
      upper,
    };
  }
  if (filter.userId !== null) {
    return {
      drive: [`us:${filter.userId}`],
      checkStatuses: statuses,
      checkSession: '',
      checkUser: '',
      lower,
      upper,
    };
  }
  const drive = filter.statuses === null ? ['all'] : filter.statuses.map((s: TaskStatus) => `st:${s}`);
  return { drive, checkStatuses: '', checkSession: '', checkUser: '', lower, upper };
}

/** True when the filter needs more than the status indexes' sizes to count. */
export function hasDateFilter(filter: NormalizedFilter): boolean {
  return filter.createdAfter !== null || filter.createdBefore !== null;
}
