/**
 * The command on real backends. Every backend whose store implements `restore` takes part in the
 * round trip (10k tasks built in memory, exported, imported, exported again elsewhere, deep-equal)
 * and in `copy --verify` between every pair; a backend without it yet is skipped and says so.
 */

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTaskStore, type TaskStore } from '@taskvault/core';
import { BACKEND_NAMES } from '@taskvault/core/adapter';
import {
  type PostgresServerHandle,
  postgresForTests,
  type RedisServerHandle,
  redisForTests,
} from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromUrl, exportTasks, lineToTask, taskToLine } from '../src/index.js';
import {
  allTasks,
  BIN,
  makeTasks,
  memoryStore,
  restoreWorks,
  sink,
  sortedLikeWalk,
  spawnCli,
} from './helpers.js';

interface Backend {
  name: string;
  url: string;
  /** Why it sits out, when it does. */
  missing: string | null;
}

const dir = mkdtempSync(join(tmpdir(), 'taskvault-backends-'));
const TASKS = makeTasks(10_000);
const EXPECTED = sortedLikeWalk(TASKS);
let redis: RedisServerHandle;
let postgres: PostgresServerHandle;
const backends: Backend[] = [];

async function open(url: string, namespace: string): Promise<TaskStore> {
  return createTaskStore({
    ...configFromUrl(url, 'test'),
    namespace,
    options: url.startsWith('postgres') ? { sweepIntervalMs: 0 } : {},
  });
}

async function probe(name: string, url: string): Promise<Backend> {
  try {
    const store = await open(url, `probe-${randomUUID()}`);
    try {
      return {
        name,
        url,
        missing: (await restoreWorks(store)) ? null : `the ${name} store does not implement restore yet`,
      };
    } finally {
      await store.close();
    }
  } catch (error) {
    return { name, url, missing: `${name}: ${(error as Error).message}` };
  }
}

beforeAll(async () => {
  redis = await redisForTests();
  postgres = await postgresForTests();
  backends.push(await probe('redis', redis.url));
  backends.push(await probe('postgres', await postgres.createDatabase()));
  if ((BACKEND_NAMES as readonly string[]).includes('sqlite')) {
    backends.push(await probe('sqlite', `sqlite:${join(dir, 'tasks.db')}`));
  } else {
    backends.push({ name: 'sqlite', url: '', missing: 'core of this tree has no sqlite backend name yet' });
  }
  for (const b of backends)
    if (b.missing) console.warn(`[cli backends test] skipping ${b.name}: ${b.missing}`);
}, 120_000);

afterAll(async () => {
  await redis?.destroy();
  await postgres?.destroy();
});

const ready = () => backends.filter((b) => b.missing === null);

describe('taskvault on real backends', () => {
  it('10k tasks built in memory, exported, imported into every backend, exported again and imported into every other: deep-equal', async (ctx) => {
    if (ready().length === 0)
      ctx.skip(`no backend implements restore yet: ${backends.map((b) => b.missing).join('; ')}`);
    const source = memoryStore();
    await source.restore(TASKS);
    const out = sink();
    await exportTasks(source, out);
    const file = join(dir, 'memory.ndjson');
    writeFileSync(file, out.text());

    for (const from of ready()) {
      const ns = `rt-${randomUUID()}`;
      const imported = await spawnCli(['import', file, '--to', from.url, '--namespace', ns, '--json']);
      expect(imported.stderr, from.name).toBe('');
      expect(JSON.parse(imported.stdout)).toMatchObject({ restored: 10_000, lines: 10_000 });
      const store = await open(from.url, ns);
      expect(await allTasks(store)).toEqual(EXPECTED);
      await store.close();

      const exported = join(dir, `${from.name}.ndjson`);
      const ex = await spawnCli([
        'export',
        '--from',
        from.url,
        '--namespace',
        ns,
        '--out',
        exported,
        '--json',
      ]);
      expect(ex.code, ex.stderr).toBe(0);
      expect(JSON.parse(ex.stdout)).toMatchObject({ exported: 10_000 });
      const lines = readFileSync(exported, 'utf8').split('\n').filter(Boolean);
      expect(lines.map(lineToTask)).toEqual(EXPECTED);

      // the other backends side by side: separate processes and servers, mostly waiting on them
      await Promise.all(
        ready()
          .filter((b) => b !== from)
          .map(async (to) => {
            const ns2 = `rt-${randomUUID()}`;
            const again = await spawnCli(['import', exported, '--to', to.url, '--namespace', ns2]);
            expect(again.code, again.stderr).toBe(0);
            const target = await open(to.url, ns2);
            expect(await allTasks(target), `${from.name} -> ${to.name}`).toEqual(EXPECTED);
            await target.close();
          }),
      );
    }
  }, 600_000);

  it('copy --verify between every pair of backends (and two namespaces of one) compares counts and every task', async (ctx) => {
    if (ready().length === 0)
      ctx.skip(`no backend implements restore yet: ${backends.map((b) => b.missing).join('; ')}`);
    const tasks = makeTasks(1500, 'copy');
    for (const from of ready()) {
      const ns = `cp-${randomUUID()}`;
      const source = await open(from.url, ns);
      await source.restore(tasks);
      await source.close();
      for (const to of ready()) {
        const ns2 = `cp-${randomUUID()}`;
        const copy = [
          'copy',
          '--from',
          from.url,
          '--to',
          to.url,
          '--namespace',
          ns,
          '--to-namespace',
          ns2,
          '--verify',
        ];
        const r = await spawnCli([...copy, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({
          read: 1500,
          restored: 1500,
          verify: { ok: true, sourceCount: 1500, targetCount: 1500, compared: 1500, different: 0 },
        });
        // a changed task in the target fails the verification (exit 1)
        const target = await open(to.url, ns2);
        await target.patch(tasks[10]!.taskId, { data: { tampered: true } });
        await target.close();
        const again = await spawnCli(copy);
        expect(again.code).toBe(1);
        expect(again.stdout).toContain(`different: ${JSON.stringify(tasks[10]!.taskId)}`);
        expect(again.stderr).toMatch(/^taskvault: VERIFY_FAILED: /);
      }
    }
  }, 600_000);

  it('export while other processes write: every task that existed throughout comes out exactly once (Redis, PostgreSQL)', async () => {
    for (const b of backends.filter((x) => x.name !== 'sqlite')) {
      const ns = `ex-${randomUUID()}`;
      const store = await open(b.url, ns);
      try {
        const steady = Array.from({ length: 3000 }, (_, i) => `steady-${String(i).padStart(4, '0')}`);
        for (let i = 0; i < steady.length; i += 50) {
          await Promise.all(steady.slice(i, i + 50).map((taskId) => store.create({ taskId })));
        }
        let writing = true;
        let churned = 0;
        const writer = (async () => {
          while (writing) {
            const taskId = `churn-${churned++}`;
            await store.create({ taskId });
            if (churned % 2 === 0) await store.delete(taskId);
            if (churned % 3 === 0) await store.delete(steady[0]!).catch(() => undefined); // one steady task goes
          }
        })();
        const file = join(dir, `${b.name}-live.ndjson`);
        const r = await spawnCli(['export', '--from', b.url, '--namespace', ns, '--out', file, '--json']);
        writing = false;
        await writer;
        expect(r.code, r.stderr).toBe(0);
        const ids = readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => lineToTask(l).taskId);
        expect(new Set(ids).size, b.name).toBe(ids.length);
        const seen = new Set(ids);
        expect(
          steady.slice(1).filter((id) => !seen.has(id)),
          b.name,
        ).toEqual([]);
        expect(churned, b.name).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
    }
  }, 300_000);

  it('stats and cleanup on Redis and PostgreSQL', async () => {
    for (const b of backends.filter((x) => x.name !== 'sqlite')) {
      const ns = `st-${randomUUID()}`;
      const store = await open(b.url, ns);
      const old = new Date(Date.now() - 40 * 86_400_000);
      for (const [i, status] of (['running', 'completed', 'failed', 'completed'] as const).entries()) {
        await store.create({ taskId: `t${i}`, status, createdAt: old });
      }
      await store.close();
      const stats = await spawnCli(['stats', '--url', b.url, '--namespace', ns, '--json']);
      expect(stats.code, stats.stderr).toBe(0);
      expect(JSON.parse(stats.stdout)).toMatchObject({
        backend: b.name,
        total: 4,
        active: 1,
        byStatus: { completed: 2 },
      });
      // updatedAt is now: nothing is 30 days old yet
      const cleanup = (age: string) =>
        spawnCli(['cleanup', '--url', b.url, '--namespace', ns, '--older-than', age, '--json']);
      const none = await cleanup('30d');
      expect(JSON.parse(none.stdout)).toMatchObject({ removed: 0 });
      const all = await cleanup('0');
      expect(JSON.parse(all.stdout)).toMatchObject({ removed: 3 });
      // the store reported its batches through onSweep
      expect(JSON.parse(all.stdout).batches).toBeGreaterThanOrEqual(1);
      const left = await spawnCli(['stats', '--url', b.url, '--namespace', ns]);
      expect(left.stdout).toMatch(/total 1\nactive 1/);
    }
  });

  it('verify walks a namespace with progress and reports it healthy (backends with verify)', async (ctx) => {
    const checked: string[] = [];
    for (const b of backends.filter((x) => x.name !== 'sqlite')) {
      const ns = `vf-${randomUUID()}`;
      const store = await open(b.url, ns);
      try {
        await store.verify();
      } catch (error) {
        if (/not a function/.test((error as Error).message)) continue;
        throw error;
      } finally {
        await store.close();
      }
      const seeded = await open(b.url, ns);
      for (let i = 0; i < 30; i++)
        await seeded.create({ taskId: `v${i}`, status: i % 2 ? 'running' : 'completed' });
      await seeded.close();
      const r = await spawnCli(['verify', '--url', b.url, '--namespace', ns, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        command: 'verify',
        backend: b.name,
        ok: true,
        checked: 30,
        problemCount: 0,
      });
      const repair = await spawnCli(['verify', '--url', b.url, '--namespace', ns, '--repair']);
      expect(repair.stdout).toMatch(/checked 30 tasks .*0 problem\(s\), 0 repaired/);
      checked.push(b.name);
    }
    if (checked.length === 0) ctx.skip('no server backend implements verify yet');
  });

  it('migrate creates the PostgreSQL schema, says so, and --print-sql prints it without connecting', async () => {
    const db = await postgres.createDatabase();
    const sql = await spawnCli([
      'migrate',
      '--postgres-url',
      'postgres://nobody:pw@127.0.0.1:1/none',
      '--print-sql',
    ]);
    expect(sql.code, sql.stderr).toBe(0);
    expect(sql.stdout).toMatch(/create table/i);
    const first = await spawnCli(['migrate', '--url', db, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).applied.length).toBeGreaterThan(0);
    const second = await spawnCli(['migrate', '--url', db]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/schema up to date/);
    const tables = await postgres.psql(
      `select count(*) from information_schema.tables where table_name like 'taskvault%'`,
      db.split('/').pop(),
    );
    expect(Number(tables.trim())).toBeGreaterThan(0);
  });
});

describe('an import killed half-way', () => {
  it('is resumed by running the same command again: every task exactly once, deep-equal', async (ctx) => {
    const target = ready()[0];
    if (target === undefined)
      ctx.skip(`no backend implements restore yet: ${backends.map((b) => b.missing).join('; ')}`);
    const ns = `kill-${randomUUID()}`;
    const file = join(dir, 'kill.ndjson');
    writeFileSync(file, EXPECTED.map((t) => `${taskToLine(t)}\n`).join(''));
    const store = await open(target!.url, ns);
    try {
      const child = spawn(process.execPath, [
        BIN,
        'import',
        file,
        '--to',
        target!.url,
        '--namespace',
        ns,
        '--batch-size',
        '20',
      ]);
      // SIGKILL once some batches landed and many are still to come
      while ((await store.count()) < 500) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const landed = await store.count();
      expect(landed).toBeGreaterThan(0);
      expect(landed).toBeLessThan(10_000);
      const again = await spawnCli(['import', file, '--to', target!.url, '--namespace', ns, '--json']);
      expect(again.code, again.stderr).toBe(0);
      const summary = JSON.parse(again.stdout);
      expect(summary.skipped).toBe(landed);
      expect(summary.restored).toBe(10_000 - landed);
      expect(await allTasks(store)).toEqual(EXPECTED);
    } finally {
      await store.close();
    }
  }, 300_000);
});

describe('taskvault migrate on SQLite', () => {
  it('creates the schema in a new file and then finds it up to date', async (ctx) => {
    const sqlite = backends.find((b) => b.name === 'sqlite');
    // migrate needs the backend, not restore
    const usable =
      sqlite !== undefined &&
      (sqlite.missing === null || sqlite.missing.includes('does not implement restore'));
    if (!usable) ctx.skip(sqlite?.missing ?? 'no sqlite backend');
    const url = `sqlite:${join(dir, `migrate-${randomUUID()}.db`)}`;
    const first = await spawnCli(['migrate', '--url', url, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).applied.length).toBeGreaterThan(0);
    const second = await spawnCli(['migrate', '--url', url]);
    expect(second.stdout).toMatch(/schema up to date/);
    const sql = await spawnCli(['migrate', '--url', url, '--print-sql']);
    expect(sql.stdout).toMatch(/create table/i);
  });
});
