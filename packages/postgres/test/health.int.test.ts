/** healthCheck tells a server that cannot take writes, or a schema without its tables, from a healthy one. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqlRows, storeOn, useServer } from './helpers.js';

const server = useServer();

describe('healthCheck', () => {
  it('a database whose default_transaction_read_only is on: ok false, saying writes would fail', async () => {
    const url = await server().createDatabase();
    const database = new URL(url).pathname.slice(1);
    const writer = storeOn(url);
    await writer.migrate();
    expect(await writer.healthCheck()).toMatchObject({ ok: true });
    await writer.close();
    await sqlRows(url, `alter database "${database}" set default_transaction_read_only = on`);
    const store = storeOn(url);
    try {
      const health = await store.healthCheck();
      expect(health).toMatchObject({ ok: false, backend: 'postgres' });
      expect(health.detail).toContain('read-only');
    } finally {
      await store.close();
      // from another database: sessions of this one start read-only
      await sqlRows(server().url, `alter database "${database}" reset default_transaction_read_only`);
    }
  });

  it('without autoMigrate on an empty database: ok false naming the missing tables', async () => {
    const url = await server().createDatabase();
    const store = storeOn(url, { autoMigrate: false });
    try {
      const health = await store.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.detail).toContain('taskvault_tasks');
      expect(health.detail).toContain('migrate()');
    } finally {
      await store.close();
    }
  });

  it('a hot standby (pg_is_in_recovery()): ok false, then ok once promoted', async (ctx) => {
    if (server().external) ctx.skip(); // needs the spawned server's data directory
    const url = await server().createDatabase();
    const store = storeOn(url);
    await store.migrate();
    await server().stop();
    const signal = join(server().dir, 'data', 'standby.signal');
    await writeFile(signal, '');
    await server().start();
    try {
      const health = await store.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.detail).toContain('hot standby');
    } finally {
      await sqlRows(url, 'select pg_promote()');
      await rm(signal, { force: true });
    }
    await expect.poll(async () => (await store.healthCheck()).ok, { timeout: 10_000 }).toBe(true);
    await store.close();
  });
});
