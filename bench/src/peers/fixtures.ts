/**
 * The fixtures and call pattern every peer shares, so each peer file only says how its library
 * stores, reads and rewrites one task. The ids, the read pool and the per-worker update slots are
 * the taskvault side's (`backends/taskvault.ts`), so both sides touch the same number of records
 * in the same order.
 */

import {
  READ_POOL_SIZE,
  readPoolId,
  spread,
  UPDATE_SLOTS_PER_WORKER,
  updateSlotId,
} from '../backends/taskvault.js';
import { storedTaskDocument } from '../document.js';
import { runMany } from '../harness.js';
import type { PeerSession } from './types.js';

/** Concurrency of fixture creation (the taskvault side's). */
const FIXTURE_CONCURRENCY = 32;

/** The task as peers store it: the stored form of the document (what the raw sides copy). */
export function peerDocument(taskId: string) {
  return storedTaskDocument(taskId);
}

/**
 * How a library stores one task. `H` is what a write hands back for the next write of the same
 * task (BullMQ's `Job`, LangGraph's checkpoint config); `void` when nothing is needed.
 */
export interface PeerCalls<H> {
  /** Stores a new task under `taskId`. */
  insert(taskId: string): Promise<H>;
  /** Reads the task back; `undefined` or `null` when it is missing. */
  read(taskId: string): Promise<unknown>;
  /** Rewrites the whole task, given what the previous write of it returned. */
  write(taskId: string, previous: H): Promise<H>;
}

/**
 * Loads the read pool and the update slots through `calls`, checks a pooled task reads back, and
 * returns the three timed sides. `close` is the library's own.
 */
export async function peerSession<H>(
  calls: PeerCalls<H>,
  maxConcurrency: number,
  close: () => Promise<void>,
): Promise<PeerSession> {
  try {
    await runMany(READ_POOL_SIZE, FIXTURE_CONCURRENCY, (i) => calls.insert(readPoolId(i)));
    const slots = new Map<string, H>();
    await runMany(maxConcurrency * UPDATE_SLOTS_PER_WORKER, FIXTURE_CONCURRENCY, async (i) => {
      const id = updateSlotId(Math.floor(i / UPDATE_SLOTS_PER_WORKER), i % UPDATE_SLOTS_PER_WORKER);
      slots.set(id, await calls.insert(id));
    });
    // A side that read nothing would look fast: check the fixtures hold the document.
    if ((await calls.read(readPoolId(READ_POOL_SIZE - 1))) == null) {
      throw new Error('peer fixtures did not store the document');
    }
    let created = 0;
    return {
      sides: {
        create: { run: () => calls.insert(`new-${created++}`) },
        load: {
          run: async (_worker, seq) => {
            const task = await calls.read(readPoolId(spread(seq, READ_POOL_SIZE)));
            if (task == null) throw new Error('load: a read-pool task is missing');
          },
        },
        update: {
          run: async (worker, seq) => {
            const id = updateSlotId(worker, seq % UPDATE_SLOTS_PER_WORKER);
            slots.set(id, await calls.write(id, slots.get(id)!));
          },
        },
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
