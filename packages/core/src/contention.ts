/**
 * The read-check-write loop of a write built on a stored task (integrations keeping a framework's
 * record in a task): read the task, compute the change, write it only if the task is still the
 * version read (`update` without `force`, or `patch` with `expectedVersion`). A writer that lost
 * the race reads again, so two concurrent changes never act on the same state and neither is
 * torn or lost.
 */
import { isTaskStoreError } from './errors.js';

/** What an attempt returns when another writer got there first and it should read again. */
export const CONTENDED: unique symbol = Symbol('contended');

/**
 * The store's answers that mean "someone else wrote in between": a version moved on
 * (`VERSION_CONFLICT`), the task appeared (`TASK_EXISTS`) or vanished (`TASK_NOT_FOUND`) under us.
 * Returns {@link CONTENDED} for those and rethrows anything else.
 */
export function contended(error: unknown): typeof CONTENDED {
  if (
    isTaskStoreError(error, 'VERSION_CONFLICT') ||
    isTaskStoreError(error, 'TASK_EXISTS') ||
    isTaskStoreError(error, 'TASK_NOT_FOUND')
  ) {
    return CONTENDED;
  }
  throw error;
}

/**
 * Runs `attempt` until it returns something other than {@link CONTENDED}, at most
 * `maxAttempts` times, waiting a random, growing pause (capped at 50 ms) between attempts so
 * contenders spread out. When every attempt was contended, `onExhausted()` is thrown.
 */
export async function retryWhileContended<T>(
  maxAttempts: number,
  attempt: () => Promise<T | typeof CONTENDED>,
  onExhausted: () => Error,
): Promise<T> {
  for (let n = 1; n <= maxAttempts; n++) {
    const result = await attempt();
    if (result !== CONTENDED) return result;
    if (n < maxAttempts) await pause(Math.random() * Math.min(50, 2 ** n));
  }
  throw onExhausted();
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
