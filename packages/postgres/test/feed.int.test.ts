/**
 * The change feed across processes and faults: a child process writes (several loops, contending
 * for the same tasks) while this one watches and writes too — every resolved write arrives once,
 * per task in version order; watchers never keep writers from the pool; the server killed
 * mid-watch gives BACKEND_UNAVAILABLE from next() within seconds, and a new watch with `after`
 * gets everything resolved before the kill and after the restart.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { AgentTask, TaskChange } from '@taskvault/core';
import {
  buildIfStale,
  canSpawnPostgres,
  type PostgresServerHandle,
  startPostgres,
} from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTaskStore } from '../src/index.js';
import { sqlRows, storeOn } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Collects a watch in the background until stopped. */
function collect(store: PostgresTaskStore, after?: string) {
  const controller = new AbortController();
  const changes: TaskChange[] = [];
  let failure: unknown = null;
  const stream = store.watch(undefined, {
    ...(after === undefined ? {} : { after }),
    signal: controller.signal,
  });
  const ended = (async () => {
    try {
      for await (const c of stream) changes.push(c);
    } catch (error) {
      failure = error;
    }
  })();
  return {
    changes,
    stream,
    ended,
    error: () => failure,
    async stop() {
      controller.abort();
      await ended;
    },
  };
}

async function until(test: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!test() && Date.now() < deadline) await sleep(20);
  return test();
}

/** Every resolved write (`taskId:version`) once, and per task, versions rising. */
function expectExactlyOnce(changes: TaskChange[], written: string[]) {
  const seen = changes.map((c) => `${c.taskId}:${c.version}`);
  expect(new Set(seen).size, 'no change twice').toBe(seen.length);
  expect(new Set(seen)).toEqual(new Set(written));
  const last = new Map<string, number>();
  for (const c of changes) {
    expect(c.version, `version order of ${c.taskId}`).toBeGreaterThan(last.get(c.taskId) ?? 0);
    last.set(c.taskId, c.version);
  }
  const ids = changes.map((c) => BigInt(c.id));
  for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
}

describe.skipIf(!canSpawnPostgres())('change feed (spawned PostgreSQL)', () => {
  let server: PostgresServerHandle;
  let url: string;
  const stores: PostgresTaskStore[] = [];
  const store = (options: Parameters<typeof storeOn>[1] = {}) => {
    const s = storeOn(url, options);
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    await buildIfStale(root);
    server = await startPostgres();
    url = await server.createDatabase();
  }, 180_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await server?.destroy();
  });

  it('a child process and this one write side by side: every change arrives once, per task in version order', async () => {
    const namespace = 'two-processes';
    const mine = store({ namespace });
    const shared = await Promise.all([1, 2, 3].map((i) => mine.create({ taskId: `shared-${i}` })));
    const written = shared.map((t) => `${t.taskId}:${t.version}`);
    const w = collect(mine, await mine.watch(undefined, { after: '0' }).ready);
    await w.stream.ready;
    const child = spawn(
      process.execPath,
      [
        join(root, 'test', 'fixtures', 'feed-writer.mjs'),
        url,
        namespace,
        '4',
        '60',
        shared.map((t) => t.taskId).join(','),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [tag, taskId, version] = line.split(' ');
        if (tag === 'w') written.push(`${taskId}:${version}`);
      }
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // this process patches the shared tasks too, while the child runs
    for (let i = 0; i < 40; i++) {
      const task = await mine.patch(shared[i % 3]!.taskId, { data: { parent: i } });
      written.push(`${task.taskId}:${task.version}`);
    }
    expect(await exited).toBe(0);
    expect(await until(() => w.changes.length >= written.length, 10_000)).toBe(true);
    await sleep(200);
    await w.stop();
    expect(w.error()).toBeNull();
    expectExactlyOnce(w.changes, written);
  }, 90_000);

  it('watchers waiting never keep writers from the pool (two connections, five watchers)', async () => {
    const s = store({ namespace: 'pool', poolOptions: { max: 2 } });
    await s.migrate();
    const watchers = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const w = collect(s);
        await w.stream.ready;
        return w;
      }),
    );
    const started = performance.now();
    for (let i = 0; i < 20; i++) await s.create({ taskId: randomUUID(), status: 'pending' });
    const ms = performance.now() - started;
    expect(ms, '20 creates beside five waiting watchers').toBeLessThan(5000);
    expect(await until(() => watchers.every((w) => w.changes.length === 20), 5000)).toBe(true);
    for (const w of watchers) await w.stop();
  }, 30_000);

  it('create over an expired row: expired for the old task, then created', async () => {
    const s = store({ namespace: 'replaced' });
    const old = await s.create({ taskId: 'again', status: 'running', ttlMs: 50 });
    const w = collect(s);
    await w.stream.ready;
    await sleep(120);
    const fresh = await s.create({ taskId: 'again', status: 'pending' });
    expect(await until(() => w.changes.length >= 2, 5000)).toBe(true);
    await sleep(100);
    await w.stop();
    expect(w.changes.map((c) => `${c.type}:${c.taskId}:${c.version}:${c.status}`)).toEqual([
      `expired:again:${old.version}:running`,
      `created:again:${fresh.version}:pending`,
    ]);
  }, 30_000);

  it('restore replacing a live task records one updated change, with the version it wrote', async () => {
    const s = store({ namespace: 'restored' });
    const task = await s.create({ taskId: 'r1', status: 'running' });
    const w = collect(s);
    await w.stream.ready;
    const result = await s.restore([{ ...task, version: 7, status: 'completed' }], { onConflict: 'replace' });
    expect(result).toMatchObject({ replaced: 1 });
    expect(await until(() => w.changes.length >= 1, 5000)).toBe(true);
    await sleep(150);
    await w.stop();
    expect(w.changes.map((c) => `${c.type}:${c.taskId}:${c.version}:${c.status}`)).toEqual([
      'updated:r1:7:completed',
    ]);
  }, 30_000);

  it('trimming goes in bounded batches and keeps its mark; ids past the end or trimmed are INVALID_INPUT', async () => {
    const s = store({ namespace: 'trimmed', changeFeed: { retainMs: 300 } });
    await s.migrate();
    const first = await s.watch().ready;
    await sqlRows(
      url,
      `insert into taskvault_tasks (namespace, task_id, status, created_at, updated_at, version, data, items, request_ids)
       select 'trimmed', 'bulk-' || i, 'pending', 1, 1, 1, '{}', '[]', '{}' from generate_series(1, 2500) as i`,
    );
    const kept = async () =>
      Number(
        (await sqlRows(url, `select count(*) as n from taskvault_changes where namespace = 'trimmed'`))[0]?.n,
      );
    expect(await kept()).toBe(2500);
    await sleep(450);
    await s.count(); // a call when trimming is due: one batch
    expect(await kept()).toBe(1500);
    await s.count(); // a full batch went: due again at once
    await s.count();
    expect(await kept()).toBe(0);
    const [mark] = await sqlRows(
      url,
      `select through from taskvault_changes_trimmed where namespace = 'trimmed'`,
    );
    const end = await s.watch().ready;
    expect(String(mark?.through)).toBe(end);
    const next = (after: string) => s.watch(undefined, { after })[Symbol.asyncIterator]().next();
    await expect(next(first)).rejects.toMatchObject({ code: 'INVALID_INPUT', path: 'opts.after' });
    await expect(next(String(BigInt(end) + 1000n))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(next('-1')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // at the mark is fine: nothing after it was dropped
    const w = collect(s, end);
    await s.create({ taskId: 'after-trim' });
    expect(await until(() => w.changes.length === 1, 5000)).toBe(true);
    await w.stop();
    expect(w.error()).toBeNull();
  }, 30_000);

  it('a row written by hand-written SQL is a change too', async () => {
    const s = store({ namespace: 'by-hand' });
    await s.migrate();
    const w = collect(s);
    await w.stream.ready;
    await sqlRows(
      url,
      `insert into taskvault_tasks (namespace, task_id, status, created_at, updated_at, version, data, items, request_ids)
       values ('by-hand', 'manual', 'pending', 1, 1, 1, '{}', '[]', '{}')`,
    );
    expect(await until(() => w.changes.length === 1, 5000)).toBe(true);
    await w.stop();
    expect(w.changes.map((c) => `${c.type}:${c.taskId}:${c.version}`)).toEqual(['created:manual:1']);
  }, 30_000);

  it('the server killed mid-watch: BACKEND_UNAVAILABLE from next() within seconds; a new watch with after misses nothing', async () => {
    const s = store({ namespace: 'killed', connectionTimeoutMs: 1000, statementTimeoutMs: 2000 });
    const before = await Promise.all(
      [1, 2, 3].map(() => s.create({ taskId: randomUUID(), status: 'pending' })),
    );
    const w = collect(s, '0');
    expect(await until(() => w.changes.length === 3, 5000)).toBe(true);
    const lastId = w.changes[2]!.id;
    const more = await s.create({ taskId: randomUUID(), status: 'running' }); // resolved before the kill
    await until(() => w.changes.length === 4, 2000);
    const killedAt = performance.now();
    await server.kill();
    await w.ended;
    const took = performance.now() - killedAt;
    expect(w.error()).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    console.info(`watch ended ${Math.round(took)} ms after the kill`);
    expect(took, 'next() rejected within').toBeLessThan(8000);
    await server.start();
    let after: AgentTask | null = null;
    for (let i = 0; i < 100 && after === null; i++) {
      after = await s.create({ taskId: randomUUID(), status: 'pending' }).catch(() => null);
      if (after === null) await sleep(100);
    }
    expect(after).not.toBeNull();
    const resumed = collect(s, lastId);
    expect(await until(() => resumed.changes.length >= 2, 10_000)).toBe(true);
    await sleep(100);
    await resumed.stop();
    expect(resumed.error()).toBeNull();
    expect(resumed.changes.map((c) => c.taskId)).toEqual([more.taskId, after!.taskId]);
    expect(before.length).toBe(3);
  }, 60_000);
});
