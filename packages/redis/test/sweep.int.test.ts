/**
 * The background sweeper on Redis (SPEC "Retention"): the lease and the fenced batches called
 * directly, and one sweeper per namespace across ten real processes, one of them SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { checkOneSweeper, type RedisServerHandle, redisForTests } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore, type RedisTaskStoreOptions } from '../src/index.js';
import { buildIfStale } from './support/built.js';
import { indexProblems } from './support/inspect.js';

let server: RedisServerHandle;
let direct: Redis;
beforeAll(async () => {
  buildIfStale();
  server = await redisForTests();
  direct = new Redis(server.url);
}, 120_000);
afterAll(async () => {
  direct?.disconnect();
  await server?.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose lease and batch hooks the test calls itself (its own sweeper is off). */
class Hooks extends RedisTaskStore {
  acquire(holder: string, leaseMs: number): Promise<number | null> {
    return this.acquireSweepLease({ holder, leaseMs });
  }
  sweepBatch(token: number, limit: number): Promise<number | null> {
    return this.sweepDeadTasks({ holder: '', token, limit, now: new Date() });
  }
  release(holder: string, token: number): Promise<void> {
    return this.releaseSweepLease({ holder, token });
  }
}

function hooks(namespace: string, options: RedisTaskStoreOptions = {}): Hooks {
  return new Hooks({ url: server.url, namespace, retention: { completed: 50 }, sweep: false, ...options });
}

/** Tasks still stored in the namespace (dead or not), straight from Redis. */
async function stored(store: RedisTaskStore): Promise<number> {
  let n = 0;
  for (const bucket of store.keyLayout.buckets) n += (await direct.keys(`${bucket.prefix}t:*`)).length;
  return n;
}

describe('the sweep lease', () => {
  it('changes hands only after it runs out, with a larger token; a stale token sweeps nothing', async () => {
    const store = hooks('lease', { shards: 4 });
    try {
      const t1 = await store.acquire('a', 300);
      expect(t1).toEqual(expect.any(Number));
      expect(await store.acquire('b', 300)).toBeNull();
      expect(await store.acquire('a', 300)).toBe(t1); // renewed: same token
      for (let i = 0; i < 6; i++) await store.create({ taskId: randomUUID(), status: 'completed' });
      await sleep(350); // past the lease, and past the tasks' retention
      const t2 = await store.acquire('b', 5000);
      expect(t2).toBeGreaterThan(t1!);
      expect(await store.acquire('a', 300)).toBeNull();
      expect(await store.sweepBatch(t1!, 100)).toBeNull();
      expect(await stored(store)).toBe(6);
      // the limit holds over all buckets
      expect(await store.sweepBatch(t2!, 4)).toBe(4);
      expect(await store.sweepBatch(t2!, 100)).toBe(2);
      expect(await stored(store)).toBe(0);
      for (const bucket of store.keyLayout.buckets) expect(await indexProblems(direct, bucket)).toEqual([]);
      await store.release('b', t2!);
      const t3 = await store.acquire('a', 300);
      expect(t3).toBeGreaterThan(t2!);
      expect(await store.sweepBatch(t2!, 100)).toBeNull();
      expect(await store.sweepBatch(t3!, 100)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('a bucket refuses a token below its fence; a token counter that went back is raised above it', async () => {
    const store = hooks('fence', { shards: 3 });
    const tokens = `${store.keyLayout.buckets[0]!.prefix}sweep:tokens`;
    try {
      await direct.set(tokens, 10); // as after ten changes of holder
      const t1 = (await store.acquire('a', 5000))!;
      expect(await store.sweepBatch(t1, 100)).toBe(0); // every bucket's fence is t1 now
      // the counter and the lease lost (a failover without them): the next token is lower
      await direct.del(store.keyLayout.sweepLeaseKey, tokens);
      const low = (await store.acquire('a', 5000))!;
      expect(low).toBeLessThan(t1);
      for (let i = 0; i < 3; i++) await store.create({ taskId: randomUUID(), status: 'completed' });
      await sleep(80);
      expect(await store.sweepBatch(low, 100)).toBeNull();
      expect(await stored(store)).toBe(3);
      // the refusal told the store the fence: its holder's lease gets a token above it
      const raised = (await store.acquire('a', 5000))!;
      expect(raised).toBeGreaterThan(t1);
      expect(await store.sweepBatch(raised, 100)).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('the lease runs out on the server clock, and release frees it at once', async () => {
    const store = hooks('expiry');
    try {
      const token = (await store.acquire('a', 200))!;
      const ttl = await direct.pttl(store.keyLayout.sweepLeaseKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(200);
      await store.release('b', token + 1); // another token: nothing happens
      expect(await store.acquire('b', 200)).toBeNull();
      await store.release('a', token);
      expect(await store.acquire('b', 200)).toBeGreaterThan(token);
    } finally {
      await store.close();
    }
  });
});

describe('one sweeper per namespace across processes', () => {
  it('ten processes: one sweeps; after a SIGKILL another takes over once the lease ran out', async () => {
    const namespace = `procs-${process.pid}`;
    const intervalMs = 200;
    const leaseMs = 1500;
    const child = fileURLToPath(new URL('./support/sweep-child.mjs', import.meta.url));
    const writer = new RedisTaskStore({
      url: server.url,
      namespace,
      retention: { completed: 50 },
      sweep: false,
    });
    try {
      const outcome = await checkOneSweeper({
        spawn: () =>
          spawn(process.execPath, [child, server.url, namespace, String(intervalMs), String(leaseMs)], {
            stdio: ['ignore', 'pipe', 'inherit'],
          }),
        intervalMs,
        leaseMs,
        writeDoomed: () => writer.create({ taskId: randomUUID(), status: 'completed' }),
      });
      expect(outcome.second).not.toBe(outcome.first);
      expect(outcome.removed).toBeGreaterThan(0);
      expect(outcome.removed).toBeLessThanOrEqual(outcome.written);
    } finally {
      await writer.close();
    }
  }, 60_000);
});
