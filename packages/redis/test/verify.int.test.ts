/**
 * verify on Redis: index damage made behind the store (entries removed, a task key deleted with
 * its entries left, a stray entry, a corrupt document) is reported, repair fixes it, and a second
 * verify is ok. On a single node and on a cluster with shards > 1.
 */
import type { VerifyProblem } from '@taskvault/core';
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedis,
  startRedisCluster,
} from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lexMember, RedisTaskStore, type RedisTaskStoreOptions } from '../src/index.js';
import { indexProblems } from './support/inspect.js';

let server: RedisServerHandle;
let cluster: RedisClusterHandle;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]);
});
afterAll(async () => {
  await Promise.all([server?.destroy(), cluster?.destroy()]);
});

const at = new Date(Date.UTC(2025, 0, 1));
const item = (requestId: string) => ({ requestId, role: 'user' as const, content: requestId, createdAt: at });

function has(problems: VerifyProblem[], kind: string, taskId: string, index?: string): boolean {
  return problems.some(
    (p) => p.kind === kind && p.taskId === taskId && (index === undefined || p.index === index),
  );
}

type Connect = () => Pick<RedisTaskStoreOptions, 'url' | 'cluster' | 'shards'>;

function verifyCases(label: string, connect: Connect, direct: (key: string) => Promise<Redis>) {
  it(`${label}: entries removed, a task key deleted, a stray entry and a corrupt record are reported, repaired, then ok`, async () => {
    const reports: string[] = [];
    const store = new RedisTaskStore({
      ...connect(),
      namespace: `verify-${label}`,
      onCorrupt: (r) => reports.push(r.taskId),
    });
    const layout = store.keyLayout;
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
      await store.create({
        taskId: id,
        status: id === 'b' ? 'running' : 'pending',
        sessionId: 's',
        userId: 'u',
        createdAt: at,
        ...(id === 'g' ? { ttlMs: 3_600_000 } : {}),
        items: [item(`${id}-1`), item(`${id}-2`)],
      });
    }
    const bucketOf = (id: string) => layout.bucketOf(id);
    const lex = (id: string) => lexMember(at.getTime(), id);
    const redisFor = (id: string) => direct(bucketOf(id).idx);
    // a: a request-id entry gone; b: its status entry gone; c: its cleanup entry gone
    await (await redisFor('a')).zrem(bucketOf('a').idx, `rq:a-2\0${lex('a')}`);
    await (await redisFor('b')).zrem(bucketOf('b').idx, `st:running\0${lex('b')}`);
    await (await redisFor('c')).zrem(`${bucketOf('c').prefix}up:pending`, 'c');
    // d: its document deleted, its entries and bookkeeping left behind
    await (await redisFor('d')).del(layout.taskKey('d'));
    // e: a corrupt document
    await (await redisFor('e')).set(layout.taskKey('e'), '{"v":1 not a task');
    // f: missing from the `all` index (found through its bookkeeping)
    await (await redisFor('f')).zrem(bucketOf('f').idx, `all\0${lex('f')}`);
    // a stray entry: a request id task a never held; g: its expiry entry gone
    await (await redisFor('a')).zadd(bucketOf('a').idx, 0, `rq:ghost\0${lex('a')}`);
    await (await redisFor('g')).zrem(`${bucketOf('g').prefix}exp`, 'g');

    const found = await store.verify({ batchSize: 2 });
    expect(found.ok).toBe(false);
    expect(found.repaired).toBe(0);
    const p = found.problems;
    expect(has(p, 'missing-index-entry', 'a', 'rq:a-2')).toBe(true);
    expect(has(p, 'missing-index-entry', 'b', 'st:running')).toBe(true);
    expect(has(p, 'missing-index-entry', 'c', 'up:pending')).toBe(true);
    expect(has(p, 'orphan-index-entry', 'd')).toBe(true);
    expect(has(p, 'corrupt-record', 'e')).toBe(true);
    expect(has(p, 'missing-index-entry', 'f', 'all')).toBe(true);
    expect(has(p, 'orphan-index-entry', 'a', 'rq:ghost')).toBe(true);
    expect(has(p, 'missing-index-entry', 'g', 'exp')).toBe(true);
    // nothing was changed without repair
    expect(await store.loadByRequestId('a-2')).toBeNull();

    const repaired = await store.verify({ repair: true, batchSize: 2 });
    expect(repaired.ok).toBe(true);
    expect(repaired.repaired).toBe(repaired.problemCount);
    expect(repaired.problemCount).toBeGreaterThanOrEqual(8);
    expect(reports).toContain('e');

    const again = await store.verify();
    expect(again).toMatchObject({ ok: true, problemCount: 0, checked: 5 });
    for (const bucket of layout.buckets) {
      expect(await indexProblems(await direct(bucket.idx), bucket)).toEqual([]);
    }
    expect((await store.loadByRequestId('a-2'))?.taskId).toBe('a');
    expect(await store.loadByRequestId('d-1')).toBeNull();
    expect(await store.count({ status: 'running' })).toBe(1);
    expect(await store.count()).toBe(5);
    expect((await store.list({ sessionId: 's', limit: 100 })).tasks.map((t) => t.taskId).sort()).toEqual([
      'a',
      'b',
      'c',
      'f',
      'g',
    ]);
    await store.clear();
    await store.close();
  });
}

describe('verify', () => {
  const clients = new Map<string, Redis>();
  const client = (url: string) => {
    let c = clients.get(url);
    if (c === undefined) {
      c = new Redis(url);
      clients.set(url, c);
    }
    return c;
  };
  afterAll(() => {
    for (const c of clients.values()) c.disconnect();
  });

  verifyCases(
    'single',
    () => ({ url: server.url }),
    async () => client(server.url),
  );

  it('single: retention deadlines are kept; a lost one is repaired from the other index, a late score pulled back', async () => {
    const store = new RedisTaskStore({
      url: server.url,
      namespace: 'verify-retention',
      retention: { completed: 3_600_000 },
      sweep: false,
    });
    const redis = client(server.url);
    const p = store.keyLayout.buckets[0]!.prefix;
    const soon = new Date(Date.now() + 1_800_000);
    await store.create({ taskId: 'kept', status: 'completed' });
    await store.create({
      taskId: 'later-x',
      status: 'completed',
      expiresAt: new Date(Date.now() + 7_200_000),
    });
    await store.create({ taskId: 'lost', status: 'completed' });
    await store.create({ taskId: 'late', status: 'completed', expiresAt: soon });
    const deadline = Number(await redis.zscore(`${p}ex:completed`, 'lost'));
    await redis.zrem(`${p}exp`, 'lost');
    await redis.zadd(`${p}exp`, soon.getTime() + 1000, 'late');
    await redis.zadd(`${p}ex:completed`, soon.getTime() + 1000, 'late');

    const found = await store.verify();
    expect(found.problems.map((x) => `${x.taskId} ${x.index}`).sort()).toEqual([
      'late ex:completed',
      'late exp',
      'lost exp',
    ]);
    expect((await store.verify({ repair: true })).ok).toBe(true);
    expect(await store.verify()).toMatchObject({ ok: true, problemCount: 0, checked: 4 });
    expect(Number(await redis.zscore(`${p}exp`, 'lost'))).toBe(deadline);
    expect(Number(await redis.zscore(`${p}exp`, 'late'))).toBe(soon.getTime());
    expect(Number(await redis.zscore(`${p}ex:completed`, 'late'))).toBe(soon.getTime());
    expect(await indexProblems(redis, store.keyLayout.buckets[0]!)).toEqual([]);
    await store.clear();
    await store.close();
  });

  // On the cluster each bucket's keys live on one master: talk to the one serving the key's slot.
  verifyCases(
    'cluster',
    () => ({ cluster: cluster.nodes.map((n) => `${n.host}:${n.port}`), shards: 4 }),
    async (key) => {
      for (const n of cluster.nodes) {
        const c = client(`redis://${n.host}:${n.port}`);
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to)!;
        return client(`redis://${owner[2][0]}:${owner[2][1]}`);
      }
      throw new Error('no cluster node');
    },
  );
});
