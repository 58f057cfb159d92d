/**
 * The source systems' status words and ours, in one table each way.
 *
 * | taskvault   | sk_agents  | Lybic      |
 * |-------------|------------|------------|
 * | pending     | Running*   | pending    |
 * | running     | Running    | running    |
 * | paused      | Paused     | running*   |
 * | completed   | Completed  | finished   |
 * | failed      | Failed     | error      |
 * | cancelled   | Canceled   | cancelled  |
 *
 * `*` marks a lossy direction: sk_agents has no pending state and Lybic no paused state, so
 * those map to the nearest active word and come back as `running`.
 */
import type { TaskStatus } from './task.js';

/** Status words of sk_agents' `AgentTask`. */
export type SkAgentsStatus = 'Running' | 'Paused' | 'Completed' | 'Failed' | 'Canceled';
/** Status words of Lybic's `TaskData`. */
export type LybicStatus = 'pending' | 'running' | 'finished' | 'error' | 'cancelled';

const FROM_SK_AGENTS: Record<SkAgentsStatus, TaskStatus> = {
  Running: 'running',
  Paused: 'paused',
  Completed: 'completed',
  Failed: 'failed',
  Canceled: 'cancelled',
};
const TO_SK_AGENTS: Record<TaskStatus, SkAgentsStatus> = {
  pending: 'Running',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
};
const FROM_LYBIC: Record<LybicStatus, TaskStatus> = {
  pending: 'pending',
  running: 'running',
  finished: 'completed',
  error: 'failed',
  cancelled: 'cancelled',
};
const TO_LYBIC: Record<TaskStatus, LybicStatus> = {
  pending: 'pending',
  running: 'running',
  paused: 'running',
  completed: 'finished',
  failed: 'error',
  cancelled: 'cancelled',
};

/** sk_agents status -> ours. Returns `undefined` for a word sk_agents does not use. */
export function fromSkAgentsStatus(status: string): TaskStatus | undefined {
  return Object.hasOwn(FROM_SK_AGENTS, status) ? FROM_SK_AGENTS[status as SkAgentsStatus] : undefined;
}
/** Ours -> sk_agents (`pending` becomes `Running`: sk_agents starts tasks running). */
export function toSkAgentsStatus(status: TaskStatus): SkAgentsStatus {
  return TO_SK_AGENTS[status];
}
/** Lybic status -> ours. Returns `undefined` for a word Lybic does not use. */
export function fromLybicStatus(status: string): TaskStatus | undefined {
  return Object.hasOwn(FROM_LYBIC, status) ? FROM_LYBIC[status as LybicStatus] : undefined;
}
/** Ours -> Lybic (`paused` becomes `running`: Lybic has no paused state). */
export function toLybicStatus(status: TaskStatus): LybicStatus {
  return TO_LYBIC[status];
}
