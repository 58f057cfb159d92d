/**
 * The backend-independent half of `verify`: checking its options and collecting what an
 * adapter's walk finds into one report, with progress after every batch. The walk itself — which
 * indexes exist and how to rebuild them — is the adapter's `verifyTasks` hook.
 */

import {
  MAX_VERIFY_PROBLEMS,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyProgress,
  type VerifyReport,
} from './task.js';
import { invalidInput } from './validate.js';

/** Default tasks per `verify` step. */
export const DEFAULT_VERIFY_BATCH = 500;
/** Largest tasks per `verify` step. */
export const MAX_VERIFY_BATCH = 10_000;

/** Collects the findings of a `verify` walk; adapters call it, the base builds the report. */
export class VerifyCollector {
  readonly #problems: VerifyProblem[] = [];
  readonly #started = performance.now();
  readonly #onProgress: ((progress: VerifyProgress) => void) | undefined;
  #checked = 0;
  #count = 0;
  #repaired = 0;

  constructor(onProgress?: (progress: VerifyProgress) => void) {
    this.#onProgress = onProgress;
  }

  /** Records that `n` more tasks were checked, and reports progress. Call it after each batch. */
  checked(n: number): void {
    this.#checked += n;
    this.#onProgress?.({
      checked: this.#checked,
      problems: this.#count,
      repaired: this.#repaired,
      elapsedMs: Math.round(performance.now() - this.#started),
    });
  }

  /** Records a problem, and whether the walk repaired it. */
  problem(problem: Omit<VerifyProblem, 'repaired'>, repaired: boolean): void {
    this.#count++;
    if (repaired) this.#repaired++;
    if (this.#problems.length < MAX_VERIFY_PROBLEMS) this.#problems.push({ ...problem, repaired });
  }

  /** The report of the walk so far. */
  report(): VerifyReport {
    return {
      ok: this.#count === this.#repaired,
      checked: this.#checked,
      problemCount: this.#count,
      repaired: this.#repaired,
      problems: [...this.#problems],
      elapsedMs: Math.round(performance.now() - this.#started),
    };
  }
}

/** Checked `verify` options. */
export interface NormalizedVerifyOptions {
  repair: boolean;
  batchSize: number;
  onProgress: ((progress: VerifyProgress) => void) | undefined;
}

/** Checks the options of `verify`. @throws TaskQueryError INVALID_INPUT */
export function validateVerifyOptions(input: unknown): NormalizedVerifyOptions {
  const op = 'verify';
  if (input === undefined) return { repair: false, batchSize: DEFAULT_VERIFY_BATCH, onProgress: undefined };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    invalidInput(op, 'options', 'must be an object');
  }
  const o = input as VerifyOptions & Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['repair', 'batchSize', 'onProgress'].includes(key) && o[key] !== undefined) {
      invalidInput(
        op,
        `options.${key}`,
        'is not a field of this object (known: repair, batchSize, onProgress)',
      );
    }
  }
  if (o.repair !== undefined && typeof o.repair !== 'boolean')
    invalidInput(op, 'options.repair', 'must be a boolean');
  const batchSize = o.batchSize ?? DEFAULT_VERIFY_BATCH;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_VERIFY_BATCH) {
    invalidInput(op, 'options.batchSize', `must be an integer from 1 to ${MAX_VERIFY_BATCH}`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    invalidInput(op, 'options.onProgress', 'must be a function');
  }
  return { repair: o.repair === true, batchSize, onProgress: o.onProgress };
}
