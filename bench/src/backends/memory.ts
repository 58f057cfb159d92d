/**
 * The memory backend: `MemoryTaskStore` against a `Map` holding `structuredClone` copies, the
 * cheapest way to keep a task in memory safely (a caller cannot change what is stored).
 */
import type { TaskStore } from '@taskvault/core';
import { storedTaskDocument } from '../document.js';
import type { Side } from '../harness.js';
import { READ_POOL_SIZE, readPoolId, spread, UPDATE_SLOTS_PER_WORKER, updateSlotId } from './taskvault.js';
import type { BackendOptions, BackendSession, RawSides } from './types.js';

/** Loaded when this backend runs, so the others still run when this package is not built. */
function loadMemoryPackage() {
  return import('@taskvault/memory');
}

/** Rows a list page holds: the raw side clones this many documents per call. */
const PAGE = 50;

function rawMemorySides(maxConcurrency: number): RawSides {
  const doc = storedTaskDocument('raw');
  const map = new Map<string, unknown>();
  for (let i = 0; i < READ_POOL_SIZE; i++) map.set(readPoolId(i), structuredClone(doc));
  for (let w = 0; w < maxConcurrency; w++) {
    for (let s = 0; s < UPDATE_SLOTS_PER_WORKER; s++) map.set(updateSlotId(w, s), structuredClone(doc));
  }
  if (map.size !== READ_POOL_SIZE + maxConcurrency * UPDATE_SLOTS_PER_WORKER) {
    throw new Error('raw memory fixtures are incomplete');
  }
  let inserted = 0;
  const read = (id: string) => structuredClone(map.get(id));
  const side = (fn: (worker: number, seq: number) => unknown): Side => ({
    run: async (worker, seq) => fn(worker, seq),
  });
  return {
    insert: side(() => map.set(`new-${inserted++}`, structuredClone(doc))),
    read: side((_w, seq) => read(readPoolId(spread(seq, READ_POOL_SIZE)))),
    write: side((worker, seq) =>
      map.set(updateSlotId(worker, seq % UPDATE_SLOTS_PER_WORKER), structuredClone(doc)),
    ),
    readPage: side((_w, seq) => {
      const page = new Array<unknown>(PAGE);
      const start = spread(seq, READ_POOL_SIZE - PAGE);
      for (let i = 0; i < PAGE; i++) page[i] = read(readPoolId(start + i));
      return page;
    }),
    readCount: side(() => map.size),
    labels: {
      insert: 'Map.set(structuredClone)',
      read: 'structuredClone(Map.get)',
      write: 'Map.set(structuredClone)',
      readPage: '50× structuredClone(Map.get)',
      readCount: 'Map.size',
    },
  };
}

/** Opens the memory backend: nothing to start. */
export async function openMemory(options: BackendOptions): Promise<BackendSession> {
  const { MemoryTaskStore, MemoryRegistry } = await loadMemoryPackage();
  const stores: TaskStore[] = [];
  // the feed section's stores share one registry, as stores on one server share a namespace
  const feedRegistry = new MemoryRegistry();
  const track = (store: TaskStore) => {
    stores.push(store);
    return store;
  };
  return {
    name: 'memory',
    description: `MemoryTaskStore in Node ${process.version}`,
    opStore: async () => track(new MemoryTaskStore({ namespace: 'bench-ops' })),
    rawSides: async () => rawMemorySides(options.maxConcurrency),
    // each store has a private registry, dropped on close: the op cells' tasks leave the heap
    releaseOps: async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    },
    peerTarget: async () => null,
    scaleStore: async () => track(new MemoryTaskStore({ namespace: 'bench-scale' })),
    a2aStore: async () => track(new MemoryTaskStore({ namespace: 'bench-a2a' })),
    feedStore: async (namespace) => track(new MemoryTaskStore({ namespace, registry: feedRegistry })),
    close: async () => {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}
