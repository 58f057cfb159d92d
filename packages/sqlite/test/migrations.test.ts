/** Migrations: ordered, recorded, checked against the objects in the file, printable as SQL. */
import { join } from 'node:path';
import { isTaskStoreError } from '@taskvault/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATION_NAMES, SqliteTaskStore } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { appliedMigrations, runMigrations } from '../src/migrator.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const file = (name: string) => join(dir, name);

describe('migrations', () => {
  it('run once, are recorded, and a second run finds nothing to do', async () => {
    const store = new SqliteTaskStore({ path: file('fresh.db'), autoMigrate: false });
    expect(await store.migrate()).toEqual({ applied: [...MIGRATION_NAMES], alreadyApplied: [] });
    expect(await store.migrate()).toEqual({ applied: [], alreadyApplied: [...MIGRATION_NAMES] });
    await store.close();
  });

  it('run in order, each reported before and after, and a later one runs on a file that has the earlier', () => {
    const db = new Database(file('ordered.db'));
    const later = {
      name: '9999-later',
      objects: [
        {
          kind: 'index' as const,
          name: 'later_idx',
          sql: 'CREATE INDEX IF NOT EXISTS later_idx ON taskvault_tasks (user_id)',
        },
      ],
    };
    const events: string[] = [];
    runMigrations(db, { onProgress: (e) => events.push(`${e.migration}:${e.phase}`) });
    const result = runMigrations(db, { onProgress: (e) => events.push(`${e.migration}:${e.phase}`) }, [
      ...MIGRATIONS,
      later,
    ]);
    expect(result).toEqual({ applied: ['9999-later'], alreadyApplied: [...MIGRATION_NAMES] });
    expect(events).toEqual([
      ...MIGRATION_NAMES.flatMap((n) => [`${n}:start`, `${n}:done`]),
      '9999-later:start',
      '9999-later:done',
    ]);
    expect(appliedMigrations(db).sort()).toEqual([...MIGRATION_NAMES, '9999-later']);
    db.close();
  });

  it('a failing migration leaves nothing of itself behind (DDL is transactional)', () => {
    const db = new Database(file('failing.db'));
    const broken = {
      name: '9999-broken',
      objects: [
        { kind: 'table' as const, name: 'half_made', sql: 'CREATE TABLE IF NOT EXISTS half_made (x)' },
        {
          kind: 'index' as const,
          name: 'bad_idx',
          sql: 'CREATE INDEX IF NOT EXISTS bad_idx ON no_such_table (x)',
        },
      ],
    };
    expect(() => runMigrations(db, {}, [...MIGRATIONS, broken])).toThrow(/no such table/);
    expect(appliedMigrations(db)).toEqual([]);
    expect(
      db.prepare("SELECT name FROM sqlite_schema WHERE name IN ('half_made', 'taskvault_tasks')").all(),
    ).toEqual([]);
    db.close();
  });

  it('re-create the objects of a recorded migration that were dropped behind the store', async () => {
    const path = file('dropped.db');
    const store = new SqliteTaskStore({ path });
    await store.create({
      taskId: 't',
      items: [{ requestId: 'r', role: 'user', content: 'x', createdAt: new Date() }],
    });
    const db = new Database(path);
    db.exec('DROP INDEX taskvault_tasks_status_created; DROP TABLE taskvault_quarantine');
    db.close();
    const result = await store.migrate();
    expect(result.applied).toEqual([]);
    expect(result.restored?.sort()).toEqual([
      'index:taskvault_tasks_status_created',
      'table:taskvault_quarantine',
    ]);
    expect(await store.list({ status: 'pending' })).toMatchObject({ tasks: [{ taskId: 't' }] });
    await store.close();
  });

  it('without autoMigrate, a fresh file says to migrate, and healthCheck names the missing tables', async () => {
    const store = new SqliteTaskStore({ path: file('unmigrated.db'), autoMigrate: false });
    const error = await store.load('t').catch((e: unknown) => e);
    expect(isTaskStoreError(error, 'BACKEND_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/store\.migrate\(\)/);
    const health = await store.healthCheck();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/taskvault_tasks/);
    await store.migrate();
    expect(await store.load('t')).toBeNull();
    expect((await store.healthCheck()).ok).toBe(true);
    await store.close();
  });

  it('migrationSql() is the same schema, recorded: a store then finds nothing to migrate; it runs once', async () => {
    const path = file('script.db');
    const store = new SqliteTaskStore({ path, autoMigrate: false });
    const script = store.migrationSql();
    const db = new Database(path);
    db.exec(script);
    // for a new file: a column cannot be added twice, and the failed run changes nothing
    expect(() => db.exec(script)).toThrow(/duplicate column name: live_until/);
    db.close();
    expect(await store.migrate()).toEqual({ applied: [], alreadyApplied: [...MIGRATION_NAMES] });
    await store.create({ taskId: 't' });
    await store.close();
  });
});
