/**
 * The change feed across processes and server failures: a second process writing while this one
 * watches delivers every change once, in version order per task; a killed (or frozen) server ends
 * the watch with BACKEND_UNAVAILABLE within seconds, and a new watch
 * resuming from the last id gets every resolved write from before the kill and after the restart.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isTaskStoreError, type TaskChange } from '@taskvault/core';
import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';
import { buildIfStale } from './support/built.js';

let server: RedisServerHandle;
beforeAll(async () => {
  buildIfStale();
  server = await startRedis({ appendOnly: true });
});
afterAll(async () => {
  await server?.destroy();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects a watch in the background. */
function collect(store: RedisTaskStore, after?: string) {
  const controller = new AbortController();
  const stream = store.watch(undefined, {
    ...(after === undefined ? {} : { after }),
    signal: controller.signal,
  });
  const changes: TaskChange[] = [];
  let error: unknown = null;
  let endedAt = 0;
  const ended = (async () => {
    try {
      for await (const change of stream) changes.push(change);
    } catch (e) {
      error = e;
    } finally {
      endedAt = Date.now();
    }
  })();
  return {
    stream,
    changes,
    ended,
    error: () => error,
    endedAt: () => endedAt,
    stop: async () => {
      controller.abort();
      await ended;
    },
    async until(count: number, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (changes.length < count && error === null && Date.now() < deadline) await sleep(10);
      return changes.length >= count;
    },
  };
}

describe.each([1, 4])('redis change feed (shards: %i)', (shards) => {
  it('a second process writes while this one watches: every change arrives once, in version order per task', async () => {
    const namespace = `feed-procs-${shards}-${process.pid}`;
    const store = new RedisTaskStore({ url: server.url, namespace, shards });
    try {
      const w = collect(store);
      await w.stream.ready;
      const count = 100;
      const child = spawn(
        process.execPath,
        [
          fileURLToPath(new URL('./support/feed-writer.mjs', import.meta.url)),
          server.url,
          namespace,
          String(shards),
          String(count),
          'p',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(await exit).toBe(0);
      expect(await w.until(2 * count)).toBe(true);
      await sleep(200); // nothing more comes
      await w.stop();
      expect(w.error()).toBeNull();
      expect(w.changes).toHaveLength(2 * count);
      const seen = new Set(w.changes.map((c) => `${c.taskId}@${c.version}`));
      expect(seen.size).toBe(2 * count);
      expect(new Set(w.changes.map((c) => c.id)).size).toBe(2 * count);
      const last = new Map<string, number>();
      for (const c of w.changes) {
        expect(c.version).toBe((last.get(c.taskId) ?? 0) + 1);
        expect(c.type).toBe(c.version === 1 ? 'created' : 'updated');
        last.set(c.taskId, c.version);
      }
    } finally {
      await store.close();
    }
  }, 60_000);

  it('server frozen mid-watch: BACKEND_UNAVAILABLE within the bound (commandTimeoutMs + the block); after thaw a watch from the last id resumes', async () => {
    const namespace = `feed-freeze-${shards}-${process.pid}`;
    const store = new RedisTaskStore({ url: server.url, namespace, shards, commandTimeoutMs: 800 });
    try {
      const w = collect(store);
      await w.stream.ready;
      await store.create({ taskId: 'f0' });
      expect(await w.until(1)).toBe(true);
      await sleep(100); // the watch is waiting now
      const frozenAt = Date.now();
      server.freeze();
      try {
        await w.ended;
      } finally {
        server.thaw();
      }
      expect(isTaskStoreError(w.error()) && (w.error() as { code: string }).code).toBe('BACKEND_UNAVAILABLE');
      // the reading connection's bound: commandTimeoutMs + the 1000 ms block, plus slack
      expect(w.endedAt() - frozenAt).toBeLessThan(800 + 1000 + 1500);
      const last = w.changes.at(-1)!.id;
      const deadline = Date.now() + 15_000;
      while (!(await store.healthCheck()).ok) {
        if (Date.now() > deadline) throw new Error('store not healthy after thaw');
        await sleep(100);
      }
      await store.create({ taskId: 'f1' });
      const resumed = collect(store, last);
      expect(await resumed.until(1)).toBe(true);
      await sleep(200);
      await resumed.stop();
      expect(resumed.changes.map((c) => c.taskId)).toEqual(['f1']);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('server killed mid-watch: BACKEND_UNAVAILABLE within seconds; after the restart a watch from the last id gets everything', async () => {
    const namespace = `feed-kill-${shards}-${process.pid}`;
    const store = new RedisTaskStore({ url: server.url, namespace, shards, commandTimeoutMs: 800 });
    try {
      const w = collect(store);
      await w.stream.ready;
      const before: string[] = [];
      for (let i = 0; i < 10; i++) before.push((await store.create({ taskId: `b${i}` })).taskId);
      expect(await w.until(10)).toBe(true);
      // writes racing the kill: those that resolved must show up later
      let stopWriting = false;
      const racing: string[] = [];
      const writing = (async () => {
        for (let i = 0; !stopWriting; i++) {
          try {
            racing.push((await store.create({ taskId: `r${i}` })).taskId);
          } catch {
            return;
          }
        }
      })();
      await sleep(50);
      const killedAt = Date.now();
      await server.kill();
      await w.ended;
      stopWriting = true;
      await writing;
      expect(isTaskStoreError(w.error()) && (w.error() as { code: string }).code).toBe('BACKEND_UNAVAILABLE');
      expect(w.endedAt() - killedAt).toBeLessThan(5000);
      const last = w.changes.at(-1)!.id;

      await server.start();
      const deadline = Date.now() + 15_000;
      for (;;) {
        if ((await store.healthCheck()).ok) break;
        if (Date.now() > deadline) throw new Error('store not healthy after restart');
        await sleep(100);
      }
      const after: string[] = [];
      for (let i = 0; i < 10; i++) after.push((await store.create({ taskId: `a${i}` })).taskId);
      const resumed = collect(store, last);
      expect(await resumed.stream.ready).toBe(last);
      const delivered = new Set(w.changes.map((c) => c.taskId));
      const missing = [...before, ...racing, ...after].filter((id) => !delivered.has(id));
      expect(await resumed.until(missing.length)).toBe(true);
      await sleep(200);
      await resumed.stop();
      expect(resumed.error()).toBeNull();
      const got = resumed.changes.map((c) => c.taskId);
      // every resolved write arrives once; a create whose reply the kill lost may show up too
      expect(new Set(got).size).toBe(got.length);
      for (const id of missing) expect(got).toContain(id);
      for (const id of after) expect(got).toContain(id);
      for (const id of got) expect(delivered.has(id)).toBe(false);
    } finally {
      await store.close();
    }
  }, 60_000);
});
