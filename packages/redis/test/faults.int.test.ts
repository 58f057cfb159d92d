/**
 * What a caller can know when Redis fails: a resolved write survives a kill (appendfsync always),
 * a rejected one says BACKEND_UNAVAILABLE, tasks and index entries never disagree, a frozen server
 * fails calls within the timeout, and the same store instance works again after a restart.
 */
import { type AgentTask, isTaskStoreError, type TaskStoreError } from '@taskvault/core';
import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';
import { indexProblems } from './support/inspect.js';
import { expectResolvedWritesKept, type ResolvedPatch } from './support/survivors.js';

const COMMAND_TIMEOUT_MS = 800;

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedis({ appendOnly: true });
});
afterAll(async () => {
  await server?.destroy();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function untilHealthy(store: RedisTaskStore, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const health = await store.healthCheck();
    if (health.ok) return;
    if (Date.now() > deadline) throw new Error(`store still unhealthy: ${health.detail}`);
    await sleep(100);
  }
}

/** Runs `fn`, returning how long it took to settle and what it rejected with. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await fn();
    return { ms: Date.now() - started, error: null };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

function item(requestId: string) {
  return { requestId, role: 'tool' as const, content: { requestId, at: 0.1 + 0.2 }, createdAt: new Date() };
}

describe('redis faults', () => {
  it('kill during a burst of writes: resolved writes survive, rejected ones are BACKEND_UNAVAILABLE, indexes agree', async () => {
    const store = new RedisTaskStore({
      url: server.url,
      namespace: 'burst',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const resolvedCreates: AgentTask[] = [];
    const resolvedPatches: ResolvedPatch[] = [];
    const rejections: unknown[] = [];
    let stop = false;

    const writer = async (w: number) => {
      const mine: string[] = [];
      for (let n = 0; !stop; n++) {
        try {
          if (mine.length === 0 || n % 3 === 0) {
            const t = await store.create({
              taskId: `w${w}-${n}`,
              sessionId: `s${w}`,
              items: [item(`w${w}-${n}-r0`)],
              data: { n },
            });
            resolvedCreates.push(t);
            mine.push(t.taskId);
          } else {
            const taskId = mine[n % mine.length]!;
            const requestId = `w${w}-${n}-r`;
            const t = await store.patch(taskId, {
              appendItems: [item(requestId)],
              status: n % 2 === 0 ? 'running' : 'paused',
              data: { [`k${n}`]: n },
            });
            resolvedPatches.push({ taskId, version: t.version, requestId });
          }
        } catch (error) {
          rejections.push(error);
          await sleep(20);
        }
      }
    };

    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await sleep(400);
    await server.kill();
    await sleep(600); // calls keep failing while it is down
    const health = await store.healthCheck();
    stop = true;
    await Promise.all(writers);
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/BACKEND_UNAVAILABLE/);

    expect(resolvedCreates.length).toBeGreaterThan(20);
    expect(rejections.length).toBeGreaterThan(0);
    for (const error of rejections) {
      expect(isTaskStoreError(error), String(error)).toBe(true);
      expect((error as TaskStoreError).code, (error as Error).message).toBe('BACKEND_UNAVAILABLE');
    }

    await server.start();
    await untilHealthy(store, 10_000);

    await expectResolvedWritesKept(store, resolvedCreates, resolvedPatches);

    const direct = new Redis(server.url);
    try {
      expect(await indexProblems(direct, store.keyLayout.buckets[0]!)).toEqual([]);
    } finally {
      direct.disconnect();
    }
    expect(await store.count()).toBe((await store.list({ limit: 1000 })).tasks.length);
    await store.clear();
    await store.close();
  });

  it('a frozen server fails calls with BACKEND_UNAVAILABLE within the timeout; after thaw the store works', async () => {
    const store = new RedisTaskStore({
      url: server.url,
      namespace: 'freeze',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const task = await store.create({ taskId: 'frozen-1' });
    server.freeze();
    try {
      const calls = await Promise.all([
        timed(() => store.load(task.taskId)),
        timed(() => store.patch(task.taskId, { status: 'running' })),
        timed(() => store.create({ taskId: 'frozen-2' })),
        timed(() => store.list()),
        timed(() => store.countActive()),
      ]);
      for (const { ms, error } of calls) {
        expect((error as TaskStoreError | null)?.code).toBe('BACKEND_UNAVAILABLE');
        expect(ms).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
      }
      const health = await store.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.detail).toMatch(/BACKEND_UNAVAILABLE/);
      expect(health.latencyMs).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
    } finally {
      server.thaw();
    }
    await untilHealthy(store, 5_000);
    const loaded = await store.load(task.taskId);
    expect(loaded?.taskId).toBe(task.taskId);
    // The frozen writes may or may not have run (the server had them): never in part, never twice.
    const second = await store.load('frozen-2');
    if (second !== null) expect(second.version).toBe(1);
    expect([1, 2]).toContain(loaded!.version);
    const patched = await store.patch(task.taskId, { status: 'completed' });
    expect(patched.version).toBe(loaded!.version + 1);
    await store.clear();
    await store.close();
  });

  it('a call waiting for a connection whose handshake times out says so, not "no reply" to a command it never sent', async () => {
    server.freeze();
    try {
      // the store connects at once; the frozen server accepts the connection but never answers the
      // handshake, which times out after commandTimeoutMs
      const store = new RedisTaskStore({ url: server.url, namespace: 'handshake', commandTimeoutMs: 600 });
      await sleep(500);
      const { ms, error } = await timed(() => store.load('any'));
      const e = error as TaskStoreError;
      expect(e.code).toBe('BACKEND_UNAVAILABLE');
      expect(e.message).not.toMatch(/no reply within commandTimeoutMs/);
      if (ms < 400) expect(e.message).toMatch(/did not answer its handshake/);
      else expect(e.message).toMatch(/handshake|no connection to Redis within 600 ms/);
      // a read never says a write may have been applied
      expect(e.message).not.toMatch(/may or may not have been applied/);
      await store.close();
    } finally {
      server.thaw();
    }
  });

  it('after a graceful restart the same store instance works again, and reported down while it was', async () => {
    const store = new RedisTaskStore({
      url: server.url,
      namespace: 'restart',
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    await store.create({ taskId: 'before' });
    await server.stop();
    const down = await timed(() => store.load('before'));
    expect((down.error as TaskStoreError).code).toBe('BACKEND_UNAVAILABLE');
    expect(down.ms).toBeLessThan(COMMAND_TIMEOUT_MS + 700);
    const health = await store.healthCheck();
    expect(health).toMatchObject({ ok: false, backend: 'redis' });
    expect(health.detail).toMatch(/BACKEND_UNAVAILABLE/);
    await server.start();
    await untilHealthy(store, 10_000);
    expect((await store.load('before'))?.taskId).toBe('before');
    await store.create({ taskId: 'after' });
    expect(await store.count()).toBe(2);
    await store.clear();
    await store.close();
  });
});
