/**
 * Export is a cursor walk: pages of `list` in ascending (createdAt, taskId) order, each page
 * asked from the last task of the one before. The store's cursor guarantee makes the walk
 * consistent while writers run — a task that existed for the whole walk comes out exactly once.
 */
import type { AgentTask, TaskStatus, TaskStore } from '@taskvault/core';

/** The page size of a walk: large enough to amortise round trips, small enough to hold. */
export const WALK_PAGE = 500;

/** What to walk: every task, or those in some statuses. */
export interface WalkFilter {
  status?: TaskStatus[] | undefined;
}

/** Every task of the store's namespace that matches, oldest first, one page held at a time. */
export async function* walkTasks(
  store: TaskStore,
  filter: WalkFilter = {},
  pageSize: number = WALK_PAGE,
): AsyncGenerator<AgentTask> {
  let cursor: string | undefined;
  do {
    const page = await store.list({
      order: 'asc',
      limit: pageSize,
      ...(filter.status !== undefined ? { status: filter.status } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    yield* page.tasks;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** How many tasks a walk with this filter will meet (for progress and ETA), as `count` says now. */
export function countFor(store: TaskStore, filter: WalkFilter): Promise<number> {
  return store.count(filter.status !== undefined ? { status: filter.status } : {});
}
