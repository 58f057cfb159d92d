/** `taskvault stats`: how many tasks a namespace holds, by status, and how many are active. */
import { TASK_STATUSES, type TaskStatus, type TaskStore } from '@taskvault/core';

/** Counts of one namespace. */
export interface Stats {
  backend: string;
  total: number;
  active: number;
  byStatus: Record<TaskStatus, number>;
}

/** Counts every status (each a logarithmic `count` on every backend). @throws TaskQueryError */
export async function collectStats(store: TaskStore): Promise<Stats> {
  const [total, active, ...counts] = await Promise.all([
    store.count(),
    store.countActive(),
    ...TASK_STATUSES.map((status) => store.count({ status })),
  ]);
  const byStatus = Object.fromEntries(TASK_STATUSES.map((s, i) => [s, counts[i] ?? 0])) as Record<
    TaskStatus,
    number
  >;
  return { backend: store.backend, total: total ?? 0, active: active ?? 0, byStatus };
}
