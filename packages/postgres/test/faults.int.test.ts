/**
 * Faults: the server killed, stopped or frozen under a burst of writes. Resolved writes survive,
 * rejected ones say BACKEND_UNAVAILABLE, index rows and counters agree with the task rows, and the
 * same store instance works again once the server is back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTaskStoreError } from '@taskvault/core';
import { canSpawnPostgres, type PostgresServerHandle, startPostgres } from '@taskvault/test-servers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTaskStore } from '../src/index.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { storeOn } from './helpers.js';

interface BurstLog {
  created: string[];
  appended: Map<string, string[]>;
  rejections: { op: string; code: string }[];
  resolvedAfterRestart: number;
}

/** Writers that create tasks and append to them until `stop()`; failures are logged, never retried. */
function startBurst(store: PostgresTaskStore, writers: number, tag: string) {
  const log: BurstLog = { created: [], appended: new Map(), rejections: [], resolvedAfterRestart: 0 };
  let running = true;
  let restarted = false;
  const note = (op: string, error: unknown) => {
    log.rejections.push({
      op,
      code: isTaskStoreError(error) ? error.code : `not a TaskStoreError: ${String(error)}`,
    });
  };
  const writer = async (w: number) => {
    for (let n = 0; running; n++) {
      const taskId = `${tag}-w${w}-${n}`;
      try {
        await store.create({
          taskId,
          status: 'running',
          items: [{ requestId: `${taskId}-r0`, role: 'user', content: 'go', createdAt: new Date() }],
        });
        log.created.push(taskId);
        if (restarted) log.resolvedAfterRestart++;
      } catch (error) {
        note('create', error);
        await sleep(20);
        continue;
      }
      for (let k = 1; k <= 3 && running; k++) {
        const requestId = `${taskId}-r${k}`;
        try {
          await store.patch(taskId, {
            status: k === 3 ? 'completed' : 'running',
            appendItems: [{ requestId, role: 'assistant', content: { step: k }, createdAt: new Date() }],
          });
          log.appended.set(taskId, [...(log.appended.get(taskId) ?? []), requestId]);
          if (restarted) log.resolvedAfterRestart++;
        } catch (error) {
          note('patch', error);
          await sleep(20);
          break; // the next task; this one may or may not hold the item
        }
      }
    }
  };
  const done = Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  return {
    log,
    markRestarted: () => {
      restarted = true;
    },
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Every resolved write is there, exactly once; the index and counters agree with the rows. */
async function expectDurableAndConsistent(
  store: PostgresTaskStore,
  url: string,
  log: BurstLog,
): Promise<void> {
  for (const taskId of log.created) {
    const task = await store.load(taskId);
    expect(task, `resolved create of ${taskId}`).not.toBeNull();
    const ids = task!.items.map((i) => i.requestId);
    expect(new Set(ids).size, `no item of ${taskId} applied twice`).toBe(ids.length);
    for (const requestId of log.appended.get(taskId) ?? []) {
      expect(ids, `resolved append ${requestId}`).toContain(requestId);
      expect((await store.loadByRequestId(requestId))?.taskId).toBe(taskId);
    }
  }
  expect(log.rejections.filter((r) => r.code !== 'BACKEND_UNAVAILABLE')).toEqual([]);
  expect(await findInconsistencies(url)).toEqual(CONSISTENT);
}

async function waitUntilWorks(store: PostgresTaskStore): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await store.healthCheck()).ok) return;
    await sleep(50);
  }
  throw new Error('the store did not recover');
}

describe.skipIf(!canSpawnPostgres())('faults (spawned PostgreSQL)', () => {
  let server: PostgresServerHandle;
  let url: string;
  const stores: PostgresTaskStore[] = [];
  const store = (options: Parameters<typeof storeOn>[1] = {}) => {
    const s = storeOn(url, options);
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase();
  });
  afterEach(async () => {
    server.thaw();
    await server.start();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await server?.destroy();
  });

  for (const fault of ['kill', 'stop'] as const) {
    it(`${fault === 'kill' ? 'a crash (SIGKILL)' : 'a fast shutdown'} during a burst of writes loses no resolved write, and the same store recovers`, async () => {
      const s = store({ poolOptions: { max: 8 } });
      await s.migrate();
      const burst = startBurst(s, 6, fault);
      await sleep(400);
      await (fault === 'kill' ? server.kill() : server.stop());
      await sleep(300);
      expect((await s.healthCheck()).ok).toBe(false);
      await server.start();
      burst.markRestarted();
      await sleep(600);
      await burst.stop();
      expect(burst.log.created.length).toBeGreaterThan(10);
      expect(burst.log.rejections.length, 'the fault hit the burst').toBeGreaterThan(0);
      expect(burst.log.resolvedAfterRestart, 'writes resolved after the restart').toBeGreaterThan(0);
      await expectDurableAndConsistent(s, url, burst.log);
    });
  }

  it('while the server is down, every method rejects with BACKEND_UNAVAILABLE at once and healthCheck says ok:false', async () => {
    const s = store({ connectionTimeoutMs: 1000 });
    await s.create({ taskId: 'down-1' });
    await server.stop();
    const started = performance.now();
    const results = await Promise.allSettled([
      s.create({ taskId: 'down-2' }),
      s.load('down-1'),
      s.patch('down-1', { status: 'running' }),
      s.list(),
      s.count(),
      s.countActive(),
      s.loadByRequestId('r'),
      s.cleanup({ olderThan: 0 }),
      s.delete('down-1'),
    ]);
    expect(performance.now() - started).toBeLessThan(3000);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    }
    const health = await s.healthCheck();
    expect(health).toMatchObject({ ok: false, backend: 'postgres' });
    expect(health.detail).toContain('BACKEND_UNAVAILABLE');
    await server.start();
    await waitUntilWorks(s);
    expect(await s.load('down-1')).not.toBeNull();
  });

  it('a frozen server (SIGSTOP): calls reject with BACKEND_UNAVAILABLE within the timeouts; after thaw the same store works', async () => {
    const s = store({ statementTimeoutMs: 1000, connectionTimeoutMs: 1000 });
    await s.create({ taskId: 'frozen-1' });
    server.freeze();
    try {
      const started = performance.now();
      const results = await Promise.allSettled([
        s.load('frozen-1'),
        s.create({ taskId: 'frozen-2' }),
        s.patch('frozen-1', { data: { x: 1 } }),
        s.list(),
        s.countActive(),
      ]);
      const elapsed = performance.now() - started;
      // statement timeout 1 s + 1 s client grace; connect timeout 1 s
      expect(elapsed).toBeLessThan(4000);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      }
      const health = await s.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.latencyMs).toBeLessThan(4000);
    } finally {
      server.thaw();
    }
    // no rebuild, no retry loop: the next call works
    expect((await s.load('frozen-1'))?.taskId).toBe('frozen-1');
    await s.create({ taskId: 'frozen-3' });
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
  });
});
