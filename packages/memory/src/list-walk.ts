/**
 * Walks the ordered indexes for `list` and `count`. The status filter picks which indexes to
 * walk (all tasks, one status, or several statuses merged), createdAfter/createdBefore and the
 * cursor become binary-searched bounds, so a page costs O(log n + page). sessionId and userId
 * have no index here: they are checked entry by entry while walking the range.
 */
import type { ListPosition, NormalizedFilter } from '@taskvault/core/adapter';
import type { TaskEntry } from './entry.js';
import type { NamespaceTable } from './namespace-table.js';
import { compareKeys, type OrderedIndex } from './ordered-index.js';

/** The entries of one index a query can reach: `entries[lo .. hi)`. */
interface Range {
  entries: readonly TaskEntry[];
  lo: number;
  hi: number;
}

/** The indexes holding the statuses `filter` asks for. */
function indexesFor(table: NamespaceTable, filter: NormalizedFilter): OrderedIndex[] {
  if (filter.statuses === null) return [table.all];
  return filter.statuses.map((status) => table.byStatus[status]);
}

/** The part of `index` inside the createdAfter/createdBefore bounds and past the cursor. */
function rangeOf(
  index: OrderedIndex,
  filter: NormalizedFilter,
  order: 'asc' | 'desc',
  after: ListPosition | null,
): Range {
  let lo = 0;
  let hi = index.size;
  if (filter.createdAfter !== null) lo = index.firstCreatedAfter(filter.createdAfter);
  if (filter.createdBefore !== null) hi = index.firstCreatedAtOrAfter(filter.createdBefore);
  if (after !== null) {
    if (order === 'asc') lo = Math.max(lo, index.firstAfter(after));
    else hi = Math.min(hi, index.firstAfterOrAt(after));
  }
  return { entries: index.entries, lo, hi: Math.max(lo, hi) };
}

/** True when the filter needs an entry-by-entry check (fields with no index here). */
function needsScan(filter: NormalizedFilter): boolean {
  return filter.sessionId !== null || filter.userId !== null;
}

function matches(entry: TaskEntry, filter: NormalizedFilter): boolean {
  const task = entry.task;
  return (
    (filter.sessionId === null || task.sessionId === filter.sessionId) &&
    (filter.userId === null || task.userId === filter.userId)
  );
}

/** Every entry of the ranges, in `order`, merged across indexes. */
function* inOrder(ranges: Range[], order: 'asc' | 'desc'): Generator<TaskEntry> {
  if (ranges.length === 1) {
    const { entries, lo, hi } = ranges[0]!;
    if (order === 'asc') for (let i = lo; i < hi; i++) yield entries[i]!;
    else for (let i = hi - 1; i >= lo; i--) yield entries[i]!;
    return;
  }
  // k-way merge (k <= 6 statuses): take the head that comes first in the query order.
  const heads = ranges.map((r) => (order === 'asc' ? r.lo : r.hi - 1));
  const sign = order === 'asc' ? 1 : -1;
  for (;;) {
    let best = -1;
    let bestEntry: TaskEntry | undefined;
    for (let k = 0; k < ranges.length; k++) {
      const r = ranges[k]!;
      const i = heads[k]!;
      if (i < r.lo || i >= r.hi) continue;
      const entry = r.entries[i]!;
      if (bestEntry === undefined || sign * compareKeys(entry, bestEntry) < 0) {
        best = k;
        bestEntry = entry;
      }
    }
    if (bestEntry === undefined) return;
    heads[best] = heads[best]! + sign;
    yield bestEntry;
  }
}

/** Up to `limit` entries matching `filter` after `after`, skipping `offset` matches. */
export function listEntries(
  table: NamespaceTable,
  filter: NormalizedFilter,
  order: 'asc' | 'desc',
  after: ListPosition | null,
  offset: number,
  limit: number,
): TaskEntry[] {
  const ranges = indexesFor(table, filter).map((index) => rangeOf(index, filter, order, after));
  const scan = needsScan(filter);
  let skip = offset;
  if (!scan && ranges.length === 1) {
    // One index, nothing to check: the offset is a jump, not a walk.
    const r = ranges[0]!;
    if (order === 'asc') r.lo = Math.min(r.hi, r.lo + skip);
    else r.hi = Math.max(r.lo, r.hi - skip);
    skip = 0;
  }
  const out: TaskEntry[] = [];
  if (limit <= 0) return out;
  for (const entry of inOrder(ranges, order)) {
    if (scan && !matches(entry, filter)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push(entry);
    if (out.length >= limit) break;
  }
  return out;
}

/** How many entries match `filter`. O(log n) per status unless sessionId/userId need a scan. */
export function countEntries(table: NamespaceTable, filter: NormalizedFilter): number {
  const ranges = indexesFor(table, filter).map((index) => rangeOf(index, filter, 'asc', null));
  if (!needsScan(filter)) return ranges.reduce((sum, r) => sum + (r.hi - r.lo), 0);
  let n = 0;
  for (const r of ranges) for (let i = r.lo; i < r.hi; i++) if (matches(r.entries[i]!, filter)) n++;
  return n;
}
