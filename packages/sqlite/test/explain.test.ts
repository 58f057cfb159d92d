/**
 * The cost rule, checked on SQLite's own plans: every statement the reads and the maintenance
 * batches run is an index SEARCH (a key lookup or a bounded range), never a SCAN of the tasks
 * table or of a whole index. The statements are recorded as the store's functions run them, with
 * their parameters, and explained on a file holding a few thousand tasks in two namespaces.
 */
import { join } from 'node:path';
import type { TaskStatus } from '@taskvault/core';
import type { NormalizedFilter, NormalizedListQuery } from '@taskvault/core/adapter';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { trimChanges } from '../src/change-log.js';
import { feedEnd, readChanges } from '../src/feed.js';
import { SqliteTaskStore } from '../src/index.js';
import { cleanupRows, deadRows } from '../src/maintenance.js';
import { countActiveRows, countRows, listRows, readRow, readRowByRequestId } from '../src/reads.js';
import { acquireLease, releaseLease, sweepBatch } from '../src/sweep-lease.js';
import { NamespaceTable } from '../src/table.js';
import { tempDir } from './helpers.js';

const path = join(tempDir(), 'explain.db');
const STATUSES: TaskStatus[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];

/** A table that records every statement it runs, with its parameters. */
class RecordingTable extends NamespaceTable {
  readonly seen: { sql: string; params: unknown[] }[] = [];
  override stmt(sql: string) {
    const real = super.stmt(sql);
    const record = (params: unknown[]) => this.seen.push({ sql, params });
    const proxy: typeof real = new Proxy(real, {
      get: (target, key) => {
        const value = Reflect.get(target, key);
        if (key === 'pluck') {
          return (...args: unknown[]) => {
            (value as (...a: unknown[]) => unknown).apply(target, args);
            return proxy;
          };
        }
        if (key === 'get' || key === 'all' || key === 'run') {
          return (...params: unknown[]) => {
            record(params);
            return (value as (...a: unknown[]) => unknown).apply(target, params);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return proxy;
  }
}

const filter = (f: Partial<NormalizedFilter> = {}): NormalizedFilter => ({
  statuses: null,
  sessionId: null,
  userId: null,
  createdAfter: null,
  createdBefore: null,
  ...f,
});
const query = (q: Partial<NormalizedListQuery> = {}): NormalizedListQuery => ({
  filter: filter(),
  limit: 50,
  order: 'desc',
  offset: 0,
  after: null,
  ...q,
});

let db: Database.Database;

beforeAll(async () => {
  for (const namespace of ['explain', 'other']) {
    const store = new SqliteTaskStore({ path, namespace, sweepIntervalMs: 0 });
    const now = Date.now();
    const tasks = Array.from({ length: 3000 }, (_, i) => ({
      taskId: `t${i}`,
      status: STATUSES[i % 6]!,
      sessionId: `s${i % 40}`,
      userId: `u${i % 7}`,
      items: [{ requestId: `r${i}`, role: 'user' as const, content: 'hi', createdAt: new Date(now) }],
      data: { i },
      createdAt: new Date(now - i * 1000),
      updatedAt: new Date(now - i * 500),
      expiresAt: i % 10 === 0 ? new Date(now + 3_600_000) : null,
      version: 1,
    }));
    await store.restore(tasks, { batchSize: 1000 });
    await store.close();
  }
  db = new Database(path);
  // what `ANALYZE` would tell the planner on a grown file; without it SQLite guesses
  db.exec('ANALYZE');
  return () => db.close();
});

/** The plan lines of every statement `run` made that touch a taskvault table. */
function plansOf(run: (t: RecordingTable) => void): string[][] {
  const t = new RecordingTable(db, 'explain', 3_600_000);
  run(t);
  expect(t.seen.length).toBeGreaterThan(0);
  return t.seen.map(({ sql, params }) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail),
  );
}

function expectIndexed(plans: string[][]): void {
  for (const plan of plans) {
    const text = plan.join('\n');
    // a SCAN of a taskvault table (with or without an index) reads all of it
    expect(text, text).not.toMatch(/\bSCAN (taskvault_\w+|t|r)\b/);
    expect(text, text).toMatch(/SEARCH/);
  }
}

const now = () => Date.now();

describe('every read and maintenance statement searches an index (EXPLAIN QUERY PLAN)', () => {
  it('load', () => expectIndexed(plansOf((t) => readRow(t, 't5', now()))));
  it('loadByRequestId', () => expectIndexed(plansOf((t) => readRowByRequestId(t, 'r5', now()))));
  it('list with no filter, newest and oldest first, with a cursor', () => {
    expectIndexed(plansOf((t) => listRows(t, query(), now())));
    expectIndexed(plansOf((t) => listRows(t, query({ order: 'asc' }), now())));
    expectIndexed(
      plansOf((t) => listRows(t, query({ after: { createdAt: now() - 50_000, taskId: 't50' } }), now())),
    );
  });
  it('list by one status, and by several', () => {
    expectIndexed(plansOf((t) => listRows(t, query({ filter: filter({ statuses: ['running'] }) }), now())));
    const several = plansOf((t) =>
      listRows(
        t,
        query({ filter: filter({ statuses: ['pending', 'running', 'paused'] }), order: 'asc' }),
        now(),
      ),
    );
    expectIndexed(several);
    expect(several.flat().join('\n')).toMatch(/USING (COVERING )?INDEX taskvault_tasks_status_created/);
  });
  it('count with no filter, by status, and countActive', () => {
    expectIndexed(plansOf((t) => countRows(t, filter(), now())));
    expectIndexed(plansOf((t) => countRows(t, filter({ statuses: ['failed'] }), now())));
    expectIndexed(plansOf((t) => countActiveRows(t, now())));
  });
  it('cleanup and the sweeper: its lease and its batches', () => {
    expectIndexed(plansOf((t) => cleanupRows(t, now() - 10 ** 12, true, now())));
    expectIndexed(plansOf((t) => deadRows(t, now(), 1000)));
    const plans = plansOf((t) => {
      const token = acquireLease(t, 'explain', 60_000)!;
      sweepBatch(t, 'explain', token, now(), 1000);
      releaseLease(t, 'explain', token);
    });
    // (an INSERT has no plan)
    expectIndexed(plans.filter((plan) => plan.length > 0));
    expect(plans.flat().join('\n')).toMatch(/INDEX taskvault_tasks_live_until/);
  });
  it('the change feed: its end, a read after a position, and trimming', () => {
    const signal = new AbortController().signal;
    const plans = plansOf((t) => {
      feedEnd(t);
      // with changes there, the read runs its statements before its first await
      void readChanges(t, { after: '10', limit: 100, waitMs: 0, signal });
      t.trimDueAt = 0;
      trimChanges(t, now());
    });
    // sqlite_sequence holds one row per AUTOINCREMENT table; a PRAGMA and a DELETE by key have no
    // plan of their own to check here
    const checked = plans.filter((plan) => plan.length > 0 && !plan.join().includes('sqlite_sequence'));
    expectIndexed(checked);
    expect(checked.flat().join('\n')).toMatch(/taskvault_changes_namespace|INTEGER PRIMARY KEY/);
  });
  it('the row lookups of every write', () => {
    expectIndexed(plansOf((t) => t.find('t7')));
  });
});
