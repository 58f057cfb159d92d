import {
  type TaskStoreError,
  TaskStoreError as TaskStoreErrorClass,
  type TaskStoreErrorCode,
} from '@taskvault/core';
import { expect } from 'vitest';

/** What an expected rejection must look like. */
export interface ExpectedError {
  /** The error class of the operation (`TaskCreateError`, `TaskUpdateError`, ...). */
  type: typeof TaskStoreErrorClass;
  code: TaskStoreErrorCode;
  /** For INVALID_INPUT: the offending path, exactly. */
  path?: string;
}

/**
 * Awaits `promise`, which must reject with a TaskStoreError of `expected.type` carrying
 * `expected.code` (and `expected.path`); returns the error for further checks.
 */
export async function expectTaskError(
  promise: Promise<unknown>,
  expected: ExpectedError,
): Promise<TaskStoreError> {
  let outcome: { resolved: unknown } | { rejected: unknown };
  try {
    outcome = { resolved: await promise };
  } catch (error) {
    outcome = { rejected: error };
  }
  if ('resolved' in outcome) {
    expect.fail(
      `expected a ${expected.type.errorName} with code ${expected.code}, but the call resolved with ${describe(outcome.resolved)}`,
    );
  }
  const error = outcome.rejected as TaskStoreError;
  if (!(error instanceof TaskStoreErrorClass)) {
    expect.fail(
      `expected a ${expected.type.errorName} with code ${expected.code}, got a non-TaskStoreError: ${String(error)}`,
    );
  }
  expect({ code: error.code, path: error.path }, error.message).toEqual({
    code: expected.code,
    path: expected.path ?? error.path,
  });
  expect(error, `${error.name} should be a ${expected.type.errorName}`).toBeInstanceOf(expected.type);
  expect(error.name).toBe(expected.type.errorName);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}
