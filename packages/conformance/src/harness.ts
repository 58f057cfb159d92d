/**
 * One test's stores: each made on a fresh namespace (or a given one), all thrown away when the
 * test ends, whatever happened in it. Tests hold their own harness, so they never share state
 * and the suite can run against a shared server, in parallel with itself.
 */
import { isTaskStoreError, type TaskStore } from '@taskvault/core';
import { it } from 'vitest';
import { uniqueId } from './fixtures.js';
import type { StoreFactoryOptions, SuiteOptions } from './options.js';

export class Harness {
  readonly #options: SuiteOptions;
  readonly #made: { store: TaskStore; namespace: string }[] = [];

  constructor(options: SuiteOptions) {
    this.#options = options;
  }

  /** fast-check runs per property. */
  get numRuns(): number {
    return this.#options.numRuns;
  }

  /** A namespace nobody else uses. */
  namespace(): string {
    return uniqueId('tv-conformance');
  }

  /** A new store on a fresh namespace (or `overrides.namespace`), closed when the test ends. */
  async store(overrides: Partial<StoreFactoryOptions> = {}): Promise<TaskStore> {
    // only the options a test set: a factory spreading them must not see keys set to undefined
    const given = Object.entries(overrides).filter(([, value]) => value !== undefined);
    const options = {
      ...Object.fromEntries(given),
      namespace: overrides.namespace ?? this.namespace(),
    } as StoreFactoryOptions;
    const store = await this.#options.create(options);
    this.#made.push({ store, namespace: options.namespace });
    return store;
  }

  /** Damages the stored record of `taskId` through the suite's `damage` option. */
  async damage(store: TaskStore, taskId: string): Promise<void> {
    if (!this.#options.damage) throw new Error('this suite was declared without a damage() option');
    await this.#options.damage(store, taskId);
  }

  /** Clears and closes every store this test made; the first failure is rethrown at the end. */
  async dispose(): Promise<void> {
    const failures: unknown[] = [];
    for (const { store, namespace } of this.#made.reverse()) {
      try {
        if (this.#options.destroy) await this.#options.destroy(store);
        else await this.#destroy(store, namespace);
      } catch (error) {
        failures.push(error);
      }
    }
    this.#made.length = 0;
    if (failures.length > 0) throw failures[0];
  }

  async #destroy(store: TaskStore, namespace: string): Promise<void> {
    try {
      await store.clear();
    } catch (error) {
      if (!isTaskStoreError(error, 'STORE_CLOSED')) throw error;
      // The test closed it: clear what it left through a new store on the same namespace.
      const fresh = await this.#options.create({ namespace });
      try {
        await fresh.clear();
      } finally {
        await fresh.close();
      }
      return;
    }
    await store.close();
  }
}

/** Declares the tests of one behaviour family. */
export type Scenario = (name: string, body: (h: Harness) => Promise<void>) => void;

/** A `Scenario` that gives each test its own harness and cleans up after it. */
export function scenarioFor(options: SuiteOptions): Scenario {
  return (name, body) => {
    it(
      name,
      async () => {
        const h = new Harness(options);
        let failed = true;
        try {
          await body(h);
          failed = false;
        } finally {
          // A failure to clean up must not hide the test's own failure.
          if (failed) await h.dispose().catch(() => undefined);
          else await h.dispose();
        }
      },
      options.timeoutMs,
    );
  };
}
