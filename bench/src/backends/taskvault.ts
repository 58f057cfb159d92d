/**
 * The taskvault side of every cell, written once against the `TaskStore` interface so each
 * backend is timed doing exactly the same calls. Fixtures are created through the store itself.
 */
import type { AgentTask, NewTask, TaskStore } from '@taskvault/core';
import { appendedItem, LIST_STATUS, newTaskDocument, requestIdsOf, statusFor } from '../document.js';
import { runMany, type Side } from '../harness.js';
import type { OpName } from './types.js';

/** Tasks `load` and `loadByRequestId` pick from. */
export const READ_POOL_SIZE = 1000;
/** Tasks each worker of `update` cycles through (its own, so versions never conflict). */
export const UPDATE_SLOTS_PER_WORKER = 4;
/** Appends a patch target takes before fresh ones replace it, so documents stay near 2.2 KB. */
const APPENDS_PER_PATCH_TARGET = 2;
/** Concurrency of fixture creation. */
const FIXTURE_CONCURRENCY = 64;

/** The id of the i-th read-pool task. */
export function readPoolId(i: number): string {
  return `read-${i}`;
}

/** The id of update slot `slot` of worker `worker`. */
export function updateSlotId(worker: number, slot: number): string {
  return `upd-${worker}-${slot}`;
}

/**
 * Creates the read pool and update slots in `store`, and returns the taskvault side of each
 * operation. `maxConcurrency` bounds the workers any cell runs.
 */
export async function taskvaultSides(
  store: TaskStore,
  maxConcurrency: number,
): Promise<{ [K in OpName]: Side }> {
  await runMany(READ_POOL_SIZE, FIXTURE_CONCURRENCY, (i) =>
    store.create(newTaskDocument(readPoolId(i), statusFor(i), i)),
  );
  const updateSlots = new Map<string, AgentTask>();
  await runMany(maxConcurrency * UPDATE_SLOTS_PER_WORKER, FIXTURE_CONCURRENCY, async (i) => {
    const id = updateSlotId(Math.floor(i / UPDATE_SLOTS_PER_WORKER), i % UPDATE_SLOTS_PER_WORKER);
    updateSlots.set(id, await store.create(newTaskDocument(id, 'running', i)));
  });

  let created = 0;
  const createInputs: NewTask[] = [];
  const patchTargets: string[] = [];
  let patchTargetsMade = 0;
  let patchCalls = 0;

  return {
    create: {
      // The inputs are built before the run, as the raw side's document is: building a fresh
      // document (unique id and request ids) is the caller's work, not the store's.
      prepare: async (expectedOps) => {
        createInputs.length = 0;
        for (let i = 0; i < expectedOps; i++) {
          const n = created + i;
          createInputs.push(newTaskDocument(`new-${n}`, statusFor(n), n));
        }
        createInputs.reverse();
      },
      run: () => {
        const n = created++;
        return store.create(createInputs.pop() ?? newTaskDocument(`new-${n}`, statusFor(n), n));
      },
    },
    load: {
      run: async (_worker, seq) => {
        const task = await store.load(readPoolId(spread(seq, READ_POOL_SIZE)));
        if (task === null) throw new Error('load: a read-pool task is missing');
      },
    },
    update: {
      run: async (worker, seq) => {
        const id = updateSlotId(worker, seq % UPDATE_SLOTS_PER_WORKER);
        const current = updateSlots.get(id)!;
        updateSlots.set(id, await store.update(current));
      },
    },
    patch: {
      // Fresh targets before every run, enough that none takes more than a couple of appends.
      // The previous run's targets are deleted first, so the store does not keep growing.
      prepare: async (expectedOps) => {
        const used = patchTargets.splice(0);
        await runMany(used.length, FIXTURE_CONCURRENCY, (i) => store.delete(used[i]!));
        const wanted = Math.ceil(expectedOps / APPENDS_PER_PATCH_TARGET);
        const first = patchTargetsMade;
        patchTargetsMade += wanted;
        await runMany(wanted, FIXTURE_CONCURRENCY, async (i) => {
          const id = `patch-${first + i}`;
          await store.create(newTaskDocument(id, 'running', first + i));
          patchTargets.push(id);
        });
        patchCalls = 0;
      },
      run: () => {
        const call = patchCalls++;
        const id = patchTargets[call % patchTargets.length]!;
        return store.patch(id, { appendItems: [appendedItem(id, call)] });
      },
    },
    loadByRequestId: {
      run: async (_worker, seq) => {
        const i = spread(seq, READ_POOL_SIZE);
        const task = await store.loadByRequestId(requestIdsOf(readPoolId(i))[seq % 2]!);
        if (task === null) throw new Error('loadByRequestId: a read-pool request id is not found');
      },
    },
    list: {
      run: async () => {
        const page = await store.list({ status: LIST_STATUS, limit: 50 });
        if (page.tasks.length !== 50) throw new Error(`list: expected a full page, got ${page.tasks.length}`);
      },
    },
    countActive: { run: () => store.countActive() },
  };
}

/** Visits 0..size-1 in a scattered order (a stride coprime with any pool size we use). */
export function spread(seq: number, size: number): number {
  return (seq * 7919) % size;
}
