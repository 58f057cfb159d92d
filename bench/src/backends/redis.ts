/**
 * The Redis backends: `RedisTaskStore` on a single redis-server and on a 3-master cluster,
 * against ioredis `SET`/`GET` of the same JSON bytes on one connection without auto-pipelining
 * (how PEERS.md measured every Redis peer).
 */
import type { TaskStore } from '@taskvault/core';
import {
  type RedisClusterHandle,
  type RedisServerHandle,
  startRedis,
  startRedisCluster,
} from '@taskvault/test-servers';
import { Cluster, Redis } from 'ioredis';
import { documentJson } from '../document.js';
import { runMany, type Side } from '../harness.js';
import { READ_POOL_SIZE, spread, UPDATE_SLOTS_PER_WORKER } from './taskvault.js';
import type { BackendOptions, BackendSession, RawSides } from './types.js';

/** Loaded when this backend runs, so the others still run when this package is not built. */
function loadRedisPackage() {
  return import('@taskvault/redis');
}

type RawClient = Redis | Cluster;

const PAGE = 50;

/**
 * The raw sides. Keys share one hash tag only where one command must reach them together
 * (the 50 keys of a page, for MGET on a cluster); elsewhere they spread over the slots as the
 * store's keys do.
 */
async function rawRedisSides(client: RawClient, maxConcurrency: number): Promise<RawSides> {
  const bytes = documentJson('raw');
  await runMany(READ_POOL_SIZE, 64, (i) => client.set(`raw:read:${i}`, bytes));
  await runMany(maxConcurrency * UPDATE_SLOTS_PER_WORKER, 64, (i) => client.set(`raw:upd:${i}`, bytes));
  const pageKeys = Array.from({ length: PAGE }, (_, i) => `raw:{page}:${i}`);
  await Promise.all(pageKeys.map((key) => client.set(key, bytes)));
  await client.set('raw:count', '450');
  // A raw side that read nothing would look fast: check the fixtures hold the document.
  if ((await client.get(`raw:read:${READ_POOL_SIZE - 1}`)) !== bytes) {
    throw new Error('raw Redis fixtures did not store the document');
  }
  let inserted = 0;
  const side = (run: Side['run']): Side => ({ run });
  return {
    insert: side(() => client.set(`raw:new:${inserted++}`, bytes)),
    read: side((_w, seq) => client.get(`raw:read:${spread(seq, READ_POOL_SIZE)}`)),
    write: side((worker, seq) =>
      client.set(`raw:upd:${worker * UPDATE_SLOTS_PER_WORKER + (seq % UPDATE_SLOTS_PER_WORKER)}`, bytes),
    ),
    readPage: side(() => client.mget(pageKeys)),
    readCount: side(() => client.get('raw:count')),
    labels: {
      insert: 'SET',
      read: 'GET',
      write: 'SET',
      readPage: 'MGET 50 keys',
      readCount: 'GET of a counter',
    },
  };
}

/** INFO server's redis_version. */
async function serverVersion(client: RawClient): Promise<string> {
  const node = client instanceof Cluster ? client.nodes('master')[0]! : client;
  const info = await node.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

/** Opens a single redis-server of our own (never the machine's 6379). */
export async function openRedis(options: BackendOptions): Promise<BackendSession> {
  const { RedisTaskStore } = await loadRedisPackage();
  const server: RedisServerHandle = await startRedis();
  const raw = new Redis(server.url, { enableAutoPipelining: false, lazyConnect: false });
  const stores: TaskStore[] = [];
  try {
    const version = await serverVersion(raw);
    return {
      name: 'redis',
      description: `RedisTaskStore on redis-server ${version}; raw: ioredis, one connection, no auto-pipelining`,
      opStore: async () => track(stores, new RedisTaskStore({ url: server.url, namespace: 'bench-ops' })),
      rawSides: () => rawRedisSides(raw, options.maxConcurrency),
      releaseOps: () => releaseOps(stores, raw),
      peerTarget: async () => server.url,
      scaleStore: async () =>
        track(stores, new RedisTaskStore({ url: server.url, namespace: 'bench-scale' })),
      a2aStore: async () => track(stores, new RedisTaskStore({ url: server.url, namespace: 'bench-a2a' })),
      feedStore: async (namespace) => track(stores, new RedisTaskStore({ url: server.url, namespace })),
      close: async () => {
        await closeAll(stores, raw);
        await server.destroy();
      },
    };
  } catch (error) {
    raw.disconnect();
    await server.destroy();
    throw error;
  }
}

/** Opens a 3-master Redis Cluster of our own; the store spreads its namespace over `shards` slots. */
export async function openRedisCluster(options: BackendOptions): Promise<BackendSession> {
  const { RedisTaskStore } = await loadRedisPackage();
  const cluster: RedisClusterHandle = await startRedisCluster({ masters: 3 });
  const nodes = cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
  const raw = new Cluster(nodes, { enableAutoPipelining: false });
  const stores: TaskStore[] = [];
  try {
    await raw.ping();
    const version = await serverVersion(raw);
    const open = (namespace: string) =>
      track(stores, new RedisTaskStore({ cluster: nodes, namespace, shards: options.shards }));
    return {
      name: 'redis-cluster',
      description:
        `RedisTaskStore on a ${nodes.length}-master Redis Cluster ${version}, shards ${options.shards}; ` +
        'raw: ioredis Cluster, no auto-pipelining',
      opStore: async () => open('bench-ops'),
      rawSides: () => rawRedisSides(raw, options.maxConcurrency),
      releaseOps: () => releaseOps(stores, raw),
      peerTarget: async () => null,
      scaleStore: async () => open('bench-scale'),
      feedStore: async (namespace) => open(namespace),
      close: async () => {
        await closeAll(stores, raw);
        await cluster.destroy();
      },
    };
  } catch (error) {
    raw.disconnect();
    await cluster.destroy();
    throw error;
  }
}

function track(stores: TaskStore[], store: TaskStore): TaskStore {
  stores.push(store);
  return store;
}

/** Closes the op store and empties the server(s): the scale runs start from nothing. */
async function releaseOps(stores: TaskStore[], raw: RawClient): Promise<void> {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  const targets = raw instanceof Cluster ? raw.nodes('master') : [raw];
  await Promise.all(targets.map((node) => node.flushall()));
}

async function closeAll(stores: TaskStore[], raw: RawClient): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
  await raw.quit().catch(() => raw.disconnect());
}
