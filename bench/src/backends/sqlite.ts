/**
 * The SQLite backend: `SqliteTaskStore` against raw better-sqlite3 statements on one
 * `(id TEXT PRIMARY KEY, doc TEXT)` table holding the same JSON bytes, in a file of its own with
 * the store's settings (WAL, synchronous FULL, the same busy timeout). better-sqlite3 is
 * synchronous: concurrency above 1 measures the same one connection, as it would in an app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskStore } from '@taskvault/core';
import Database from 'better-sqlite3';
import { documentJson } from '../document.js';
import type { Side } from '../harness.js';
import { READ_POOL_SIZE, readPoolId, spread, UPDATE_SLOTS_PER_WORKER, updateSlotId } from './taskvault.js';
import type { BackendOptions, BackendSession, RawSides } from './types.js';

/** Loaded when this backend runs, so the others still run when this package is not built. */
function loadSqlitePackage() {
  return import('@taskvault/sqlite');
}

const PAGE = 50;

/** Opens a connection set up as the store sets up its own. */
function connect(path: string): Database.Database {
  const db = new Database(path, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

function rawSqliteSides(db: Database.Database, maxConcurrency: number): RawSides {
  db.exec(
    'CREATE TABLE bench_raw (id TEXT PRIMARY KEY, doc TEXT NOT NULL);' +
      'CREATE TABLE bench_raw_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);' +
      'INSERT INTO bench_raw_counter VALUES (1, 450);',
  );
  const bytes = documentJson('raw');
  const insert = db.prepare('INSERT INTO bench_raw (id, doc) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < READ_POOL_SIZE; i++) insert.run(readPoolId(i), bytes);
    for (let w = 0; w < maxConcurrency; w++) {
      for (let s = 0; s < UPDATE_SLOTS_PER_WORKER; s++) insert.run(updateSlotId(w, s), bytes);
    }
  })();
  const read = db.prepare('SELECT doc FROM bench_raw WHERE id = ?').pluck();
  if (read.get(readPoolId(7)) !== bytes) throw new Error('raw SQLite fixtures did not store the document');
  const write = db.prepare('UPDATE bench_raw SET doc = ? WHERE id = ?');
  const page = db
    .prepare(`SELECT doc FROM bench_raw WHERE id IN (${Array(PAGE).fill('?').join(', ')})`)
    .pluck();
  const count = db.prepare('SELECT n FROM bench_raw_counter WHERE id = 1').pluck();
  let inserted = 0;
  // like the store, each read parses what it read and each write prints what it writes; each
  // write changes the document (the store's always changes version and updatedAt): SQLite skips
  // an UPDATE that rewrites a row with the bytes it holds, which would time no write at all
  const doc = JSON.parse(bytes) as Record<string, unknown>;
  const side = (fn: (worker: number, seq: number) => unknown): Side => ({
    run: async (worker, seq) => fn(worker, seq),
  });
  return {
    insert: side(() => insert.run(`new-${inserted++}`, JSON.stringify(doc))),
    read: side((_w, seq) => JSON.parse(read.get(readPoolId(spread(seq, READ_POOL_SIZE))) as string)),
    write: side((worker, seq) =>
      write.run(
        JSON.stringify({ ...doc, version: seq + 2 }),
        updateSlotId(worker, seq % UPDATE_SLOTS_PER_WORKER),
      ),
    ),
    readPage: side((_w, seq) => {
      const start = spread(seq, READ_POOL_SIZE - PAGE);
      const ids = Array.from({ length: PAGE }, (_, i) => readPoolId(start + i));
      return (page.all(...ids) as string[]).map((text) => JSON.parse(text) as unknown);
    }),
    readCount: side(() => count.get()),
    labels: {
      insert: 'INSERT by pk',
      read: 'SELECT by pk',
      write: 'UPDATE by pk',
      readPage: 'SELECT 50 rows by pk',
      readCount: 'SELECT 1 small row',
    },
  };
}

/** Opens the SQLite backend: files in a directory of its own, removed on close. */
export async function openSqlite(options: BackendOptions): Promise<BackendSession> {
  const { SqliteTaskStore } = await loadSqlitePackage();
  const dir = mkdtempSync(join(tmpdir(), 'taskvault-bench-sqlite-'));
  const stores: TaskStore[] = [];
  const connections: Database.Database[] = [];
  const open = (file: string, namespace: string) => {
    const store = new SqliteTaskStore({ path: join(dir, file), namespace });
    stores.push(store);
    return store;
  };
  const probe = new Database(':memory:');
  const version = probe.prepare('SELECT sqlite_version()').pluck().get() as string;
  probe.close();
  return {
    name: 'sqlite',
    description: `SqliteTaskStore on SQLite ${version} (WAL, synchronous FULL); raw: better-sqlite3 statements, same settings`,
    opStore: async () => open('ops.db', 'bench-ops'),
    rawSides: async () => {
      const db = connect(join(dir, 'raw.db'));
      connections.push(db);
      return rawSqliteSides(db, options.maxConcurrency);
    },
    releaseOps: async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      for (const db of connections.splice(0)) db.close();
    },
    peerTarget: async () => null,
    scaleStore: async () => open('scale.db', 'bench-scale'),
    feedStore: async (namespace) => open('feed.db', namespace),
    close: async () => {
      await Promise.all(stores.map((s) => s.close()));
      for (const db of connections) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
