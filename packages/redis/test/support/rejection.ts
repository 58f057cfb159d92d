import type { TaskStoreError } from '@taskvault/core';

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<TaskStoreError> {
  try {
    await promise;
  } catch (error) {
    return error as TaskStoreError;
  }
  throw new Error('expected a rejection');
}
