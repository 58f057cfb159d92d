/** What is particular to SQLite: options, the connection's settings, files, errors, closing. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTaskStore, isTaskStoreError } from '@taskvault/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteTaskStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const file = (name: string) => join(dir, name);

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTaskStoreError(error)) throw new Error(`expected a TaskStoreError, got ${String(error)}`);
  return error;
}

describe('options', () => {
  it.each([
    [{}, 'path'],
    [{ path: file('a.db'), database: new Database(':memory:') }, 'database'],
    [{ path: '' }, 'path'],
    [{ path: file('a.db'), synchronous: 'OFF' }, 'synchronous'],
    [{ path: file('a.db'), busyTimeoutMs: 0 }, 'busyTimeoutMs'],
    [{ path: file('a.db'), sweepIntervalMs: -1 }, 'sweepIntervalMs'],
    [{ path: file('a.db'), autoMigrate: 'yes' }, 'autoMigrate'],
    [{ path: file('a.db'), pool: {} }, 'pool'],
  ])('%o is CONFIG_INVALID naming %s', (options, path) => {
    let error: unknown;
    try {
      new SqliteTaskStore(options as never);
    } catch (e) {
      error = e;
    }
    expect(isTaskStoreError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as { path?: string }).path).toBe(path);
  });

  it('sets WAL, synchronous FULL or NORMAL and the busy timeout', async () => {
    for (const [synchronous, level] of [
      ['FULL', 2],
      ['NORMAL', 1],
    ] as const) {
      const path = file(`pragmas-${level}.db`);
      const store = new SqliteTaskStore({ path, synchronous, busyTimeoutMs: 1234 });
      await store.create({ taskId: 't' });
      // the settings are per connection: read them through a connection given to a store
      const db = new Database(path);
      const given = new SqliteTaskStore({ database: db, synchronous, busyTimeoutMs: 1234 });
      await given.load('t');
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(level);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      await given.close();
      expect(db.open).toBe(true); // the caller's connection is the caller's
      db.close();
      await store.close();
    }
  });
});

describe('the file', () => {
  it('synchronous is FULL unless NORMAL is asked for', async () => {
    const db = new Database(file('default-sync.db'));
    const store = new SqliteTaskStore({ database: db });
    await store.count();
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    await store.close();
    db.close();
  });

  it('keeps every task across stores (and processes) opening it again', async () => {
    const path = file('durable.db');
    const a = new SqliteTaskStore({ path });
    await a.create({ taskId: 'kept', data: { n: 1 } });
    await a.patch('kept', {
      appendItems: [{ requestId: 'r', role: 'user', content: 'hi', createdAt: new Date() }],
    });
    await a.close();
    const b = new SqliteTaskStore({ path });
    expect(await b.load('kept')).toMatchObject({ version: 2, data: { n: 1 } });
    expect(await b.loadByRequestId('r')).toMatchObject({ taskId: 'kept' });
    await b.close();
  });

  it('a directory that does not exist: BACKEND_UNAVAILABLE saying what to check; healthCheck ok: false', async () => {
    const store = new SqliteTaskStore({ path: join(dir, 'missing', 'x.db') });
    const error = await rejection(store.load('t'));
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
    expect(error.message).toMatch(/directory exists/);
    const health = await store.healthCheck();
    expect(health).toMatchObject({ ok: false, backend: 'sqlite' });
    await store.close();
  });

  it('a file that is not a database: CORRUPT_DATA saying to restore a backup', async () => {
    const path = file('not-a-db.db');
    writeFileSync(path, 'this is not a database file, but it is long enough to have a header. '.repeat(20));
    const store = new SqliteTaskStore({ path });
    const error = await rejection(store.load('t'));
    expect(error.code).toBe('CORRUPT_DATA');
    expect(error.message).toMatch(/backup/);
    await store.close();
  });

  it('a read-only file: reads work, writes are BACKEND_ERROR naming read-only', async () => {
    const path = file('readonly.db');
    const writer = new SqliteTaskStore({ path });
    await writer.create({ taskId: 't' });
    await writer.close();
    const db = new Database(path, { readonly: true });
    const store = new SqliteTaskStore({ database: db });
    expect(await store.load('t')).toMatchObject({ taskId: 't' });
    const error = await rejection(store.create({ taskId: 'u' }));
    expect(error.code).toBe('BACKEND_ERROR');
    expect(error.message).toMatch(/read-only|readonly/i);
    await store.close();
    db.close();
    chmodSync(path, 0o644);
  });

  it(':memory: works, each store on its own database', async () => {
    const a = new SqliteTaskStore({ path: ':memory:' });
    const b = new SqliteTaskStore({ path: ':memory:' });
    await a.create({ taskId: 't' });
    expect(await b.load('t')).toBeNull();
    expect(await a.count()).toBe(1);
    await a.close();
    await b.close();
  });
});

describe('closing', () => {
  it('close is idempotent; every call after it is STORE_CLOSED', async () => {
    const store = new SqliteTaskStore({ path: file('close.db') });
    await store.create({ taskId: 't' });
    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect((await rejection(store.load('t'))).code).toBe('STORE_CLOSED');
    expect((await rejection(store.migrate())).code).toBe('STORE_CLOSED');
  });

  it('a store closed before it was used opens nothing', async () => {
    const store = new SqliteTaskStore({ path: join(dir, 'never', 'opened.db') });
    await store.close();
  });
});

describe('the factory', () => {
  it('TASKVAULT_BACKEND=sqlite with TASKVAULT_SQLITE_PATH builds a SqliteTaskStore on that file', async () => {
    const path = file('factory.db');
    const store = await createTaskStore(
      {},
      { env: { TASKVAULT_BACKEND: 'sqlite', TASKVAULT_SQLITE_PATH: path } },
    );
    expect(store).toBeInstanceOf(SqliteTaskStore);
    expect((store as SqliteTaskStore).path).toBe(path);
    await store.create({ taskId: 't' });
    await store.close();
  });

  it('config.sqlite gives path, synchronous and busyTimeoutMs; the default file is ./taskvault.db', async () => {
    const store = await createTaskStore(
      { backend: 'sqlite', sqlite: { path: ':memory:', synchronous: 'NORMAL', busyTimeoutMs: 50 } },
      { env: {} },
    );
    expect((store as SqliteTaskStore).path).toBe(':memory:');
    await store.close();
    const byDefault = await createTaskStore({ backend: 'sqlite' }, { env: {}, cwd: dir });
    expect((byDefault as SqliteTaskStore).path).toBe('./taskvault.db');
    await byDefault.close();
  });
});

describe('the background sweeper', () => {
  it('deletes expired rows without being asked, and never waits for another writer', async () => {
    const path = file('sweep.db');
    const store = new SqliteTaskStore({ path, sweepIntervalMs: 50 });
    await store.create({ taskId: 'short', ttlMs: 20 });
    await store.create({ taskId: 'kept' });
    const db = new Database(path);
    const rows = () => db.prepare('SELECT count(*) FROM taskvault_tasks').pluck().get();
    for (let i = 0; i < 100 && rows() !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(rows()).toBe(1);
    // a writer holding the lock: ticks go by without blocking this thread for busyTimeoutMs
    await store.create({ taskId: 'short2', ttlMs: 20 });
    db.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    expect(performance.now() - started).toBeLessThan(1500);
    db.exec('ROLLBACK');
    for (let i = 0; i < 100 && rows() !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(rows()).toBe(1);
    db.close();
    await store.close();
  });
});
