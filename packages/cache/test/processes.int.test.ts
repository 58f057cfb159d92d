/**
 * Two processes on one namespace: this one writes with a plain store, a child reads one task in
 * a loop through its cache. The child sees each new version within a bounded delay and never a
 * version older than one it saw; with the server killed it serves nothing from memory (its
 * loads fail with BACKEND_UNAVAILABLE), and once the server is back it follows the writes again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TaskStore } from '@taskvault/core';
import { PostgresTaskStore } from '@taskvault/postgres';
import { RedisTaskStore } from '@taskvault/redis';
import { buildIfStale, postgresForTests, redisForTests } from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The child runs the built package. */
beforeAll(() => buildIfStale(root), 120_000);

interface Seen {
  at: number;
  version?: number | null;
  code?: string;
  state: string;
  hits: number;
}

/** A reader child and what it printed so far. */
function startReader(backend: string, url: string, namespace: string, taskId: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'test', 'fixtures', 'reader.mjs'), backend, url, namespace, taskId],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const seen: Seen[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => seen.push(JSON.parse(line) as Seen));
  return {
    seen,
    async waitFor(test: (s: Seen) => boolean, ms: number, from = 0): Promise<Seen> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = seen.slice(from).find(test);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`the reader did not report that within ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async stop(): Promise<void> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A bound for "within the feed's delay" on a loaded 2-core machine: generous, but bounded. */
const SEEN_WITHIN_MS = 5000;

interface Server {
  url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function twoProcesses(backend: 'redis' | 'postgres', open: (server: Server, namespace: string) => TaskStore) {
  describe(`two processes on ${backend}`, () => {
    let server: Server;
    beforeAll(async () => {
      if (backend === 'redis') server = await redisForTests();
      else {
        const pg = await postgresForTests();
        const url = await pg.createDatabase();
        server = { url, kill: () => pg.kill(), start: () => pg.start(), destroy: () => pg.destroy() };
      }
    }, 90_000);
    afterAll(async () => {
      await server?.destroy();
    });

    it('the reader sees each write within a bounded delay, never going back; a killed server: no hits, then recovery', async () => {
      const namespace = `ns-${randomUUID()}`;
      const writer = open(server, namespace);
      const task = await writer.create({ taskId: 'watched' });
      const reader = startReader(backend, server.url, namespace, task.taskId);
      try {
        await reader.waitFor((s) => s.version === 1 && s.state === 'live', 20_000);
        const delays: number[] = [];
        for (let i = 0; i < 30; i++) {
          const written = await writer.patch(task.taskId, { data: { i } });
          const writtenAt = Date.now();
          const seen = await reader.waitFor((s) => s.version === written.version, SEEN_WITHIN_MS);
          delays.push(Math.max(0, seen.at - writtenAt));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const versions = reader.seen.filter((s) => typeof s.version === 'number').map((s) => s.version!);
        for (let i = 1; i < versions.length; i++)
          expect(versions[i]).toBeGreaterThanOrEqual(versions[i - 1]!);
        expect(reader.seen.at(-1)!.hits).toBeGreaterThan(0); // it did read from memory
        console.info(
          `${backend}: write -> seen by the other process's cache, p50 ${percentile(delays, 50)} ms, p99 ${percentile(delays, 99)} ms (n=${delays.length})`,
        );

        // the server goes away: within a bounded time the reader serves nothing from memory
        const before = reader.seen.length;
        await server.kill();
        const failing = await reader.waitFor((s) => s.code === 'BACKEND_UNAVAILABLE', 15_000, before);
        // once failing, no version is served from memory while the server is down
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const down = reader.seen.slice(reader.seen.indexOf(failing));
        expect(down.every((s) => s.version === undefined && s.state !== 'live')).toBe(true);

        await server.start();
        const back = reader.seen.length;
        // a test Redis keeps no data across a kill: write the task again if it went with the server
        const written = await retry(async () =>
          (await writer.load(task.taskId)) !== null
            ? writer.patch(task.taskId, { data: { after: 'restart' } })
            : writer.create({ taskId: task.taskId, data: { after: 'restart' } }),
        );
        await reader.waitFor((s) => s.version === written.version && s.state === 'live', 30_000, back);
        const later = await writer.patch(task.taskId, { data: { after: 'recovered' } });
        await reader.waitFor((s) => s.version === later.version, SEEN_WITHIN_MS, back);
      } finally {
        await reader.stop();
        await writer.clear().catch(() => undefined);
        await writer.close();
      }
    }, 120_000);
  });
}

/** Retries a call while the server comes back (BACKEND_UNAVAILABLE), for up to 20 s. */
async function retry<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if ((error as { code?: string }).code !== 'BACKEND_UNAVAILABLE' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

twoProcesses(
  'redis',
  (server, namespace) =>
    new RedisTaskStore({ url: server.url, namespace, commandTimeoutMs: 1000, connectTimeoutMs: 1000 }),
);
twoProcesses(
  'postgres',
  (server, namespace) =>
    new PostgresTaskStore({ connectionString: server.url, namespace, sweepIntervalMs: 0 }),
);
