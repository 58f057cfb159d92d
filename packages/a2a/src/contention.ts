/**
 * The read-check-write loop of every write that is not a plain create: read the record, compute
 * the change, write it only if the record is still the version read (`update` without `force`,
 * `patch` with `expectedVersion`). A writer that lost the race reads again, so two racing saves
 * both land, one after the other, and neither is torn or lost.
 */
import { isTaskStoreError } from '@taskvault/core';

/** What an attempt returns when another writer got there first and it should read again. */
export const CONTENDED: unique symbol = Symbol('contended');

/**
 * {@link CONTENDED} for the store's answers that mean "someone else wrote in between" (a version
 * moved on, the record appeared or vanished); rethrows anything else.
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
 * Runs `attempt` until it returns something other than {@link CONTENDED}, at most `maxAttempts`
 * times, with a short random pause (growing, at most 50 ms) between attempts so contenders
 * spread out. When every attempt was contended, throws `onExhausted()`.
 */
export async function retryWhileContended<T>(
  maxAttempts: number,
  attempt: () => Promise<T | typeof CONTENDED>,
  onExhausted: () => Error,
): Promise<T> {
  for (let n = 1; n <= maxAttempts; n++) {
    const result = await attempt();
    if (result !== CONTENDED) return result;
    if (n < maxAttempts)
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** n)));
  }
  throw onExhausted();
}
