/**
 * The hot writes (create, update, patch) run as Redis 7 functions (FCALL), the library loaded once
 * per server and again whenever the server lost it; where functions are not available (Redis 6 has
 * no FCALL, an ACL may forbid it) the same writes run as scripts (EVALSHA). Every path writes once.
 */
import type { TaskItem } from '@taskvault/core';
import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisTaskStore, SCRIPTS } from '../src/index.js';
import { LIBRARY } from '../src/scripts.js';
import { indexProblems } from './support/inspect.js';

const servers: RedisServerHandle[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(servers.map((s) => s.destroy()));
});

async function server(args: string[] = []): Promise<{ url: string; admin: Redis }> {
  const s = await startRedis({ args });
  servers.push(s);
  const admin = new Redis(s.url);
  clients.push(admin);
  return { url: s.url, admin };
}

function item(requestId: string): TaskItem {
  return { requestId, role: 'user', content: requestId, createdAt: new Date() };
}

/** Calls of each command since the last reset, from INFO commandstats. */
async function calls(admin: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await admin.info('commandstats')).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    out[m[1]!] = Number(m[2]);
  }
  await admin.config('RESETSTAT');
  return out;
}

/** create, update, patch (one new request id each) and the checks that each applied once. */
async function writeRound(store: RedisTaskStore, id: string): Promise<void> {
  const created = await store.create({ taskId: id, items: [item(`${id}-a`)] });
  const updated = await store.update({ ...created, status: 'running' });
  expect(updated.version).toBe(2);
  const patched = await store.patch(id, { appendItems: [item(`${id}-b`)] });
  expect(patched.version).toBe(3);
  expect(patched.items.map((i) => i.requestId)).toEqual([`${id}-a`, `${id}-b`]);
  expect((await store.loadByRequestId(`${id}-b`))?.taskId).toBe(id);
  expect(await store.count({ status: 'running' })).toBeGreaterThan(0);
}

describe('Redis functions for the hot writes', () => {
  it('on Redis 7 create, update and patch are FCALLs of the library, loaded once', async () => {
    const { url, admin } = await server();
    const store = new RedisTaskStore({ url, namespace: 'fn' });
    await calls(admin);
    // concurrent first calls share one load
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => store.create({ taskId: id, items: [] })));
    await writeRound(store, 'x');
    const seen = await calls(admin);
    // each of the 4 first calls was told "not found" (nothing ran), waited for the one load, called again
    expect(seen.fcall).toBe(4 + 4 + 3);
    expect(seen['function|load']).toBe(1);
    // scripts: the first call's shard-count check, then the reads loadByRequestId and count
    expect(seen.evalsha ?? 0).toBe(3);
    const libraries = (await admin.call('FUNCTION', 'LIST', 'LIBRARYNAME', LIBRARY.name)) as unknown[];
    expect(libraries).toHaveLength(1);
    expect(await indexProblems(admin, store.keyLayout.buckets[0]!)).toEqual([]);
    await store.close();
  });

  it('a server that lost the library (FUNCTION FLUSH, a restart) gets it again; nothing runs twice', async () => {
    const { url, admin } = await server();
    const store = new RedisTaskStore({ url, namespace: 'flushed' });
    await store.create({ taskId: 'n', items: [] });
    await admin.call('FUNCTION', 'FLUSH');
    const patched = await store.patch('n', { appendItems: [item('once')] });
    expect(patched.items).toHaveLength(1);
    expect((await store.load('n'))?.items).toHaveLength(1);
    expect(((await admin.call('FUNCTION', 'LIST')) as unknown[]).length).toBe(1);
    // another store on the same server finds it loaded
    const other = new RedisTaskStore({ url, namespace: 'flushed' });
    expect((await other.patch('n', { appendItems: [item('twice')] })).items).toHaveLength(2);
    await other.close();
    await store.close();
  });

  it('without FCALL (Redis 6 answers "unknown command") the writes run as scripts', async () => {
    // renaming a command to "" removes it: the server answers as one that never had it
    const { url, admin } = await server([
      '--rename-command',
      'FCALL',
      '',
      '--rename-command',
      'FUNCTION',
      '',
    ]);
    const store = new RedisTaskStore({ url, namespace: 'no-fn' });
    await calls(admin);
    await writeRound(store, 'x');
    await writeRound(store, 'y');
    const seen = await calls(admin);
    expect(seen.fcall ?? 0).toBe(0);
    // the first create's FCALL was refused, then every write went by SHA
    expect(seen.evalsha).toBeGreaterThanOrEqual(2 * 5);
    expect(await admin.script('EXISTS', SCRIPTS.create.sha, SCRIPTS.patch.sha)).toEqual([1, 1]);
    expect(await indexProblems(admin, store.keyLayout.buckets[0]!)).toEqual([]);
    await store.close();
  });

  it('a user the ACL forbids functions runs the writes as scripts', async () => {
    const { url, admin } = await server();
    await admin.call(
      'ACL',
      'SETUSER',
      'nofn',
      'on',
      '>secret-pw',
      '~*',
      '&*',
      '+@all',
      '-fcall',
      '-function',
    );
    const u = new URL(url);
    u.username = 'nofn';
    u.password = 'secret-pw';
    const store = new RedisTaskStore({ url: u.toString(), namespace: 'acl' });
    await calls(admin);
    await writeRound(store, 'x');
    const seen = await calls(admin);
    expect(seen['function|load'] ?? 0).toBe(0);
    expect(seen.evalsha).toBeGreaterThanOrEqual(5);
    await store.close();
  });
});
