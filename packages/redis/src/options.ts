/** What `RedisTaskStore` takes, checked once, with the defaults in one place. */
import type { BaseStoreOptions, RedisNode } from '@taskvault/core/adapter';
import { parseRedisNode, taskStoreError } from '@taskvault/core/adapter';
import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import { checkKeyPrefix } from './keys.js';

/** Options of {@link RedisTaskStore}. Give at most one of `url`, `client`, `cluster`. */
export interface RedisTaskStoreOptions extends BaseStoreOptions {
  /**
   * `redis://[[user]:password@]host:port[/db]` or `rediss://` for TLS. The store opens (and closes)
   * its own connection. Default `redis://127.0.0.1:6379`. With `cluster` as a list of nodes, the
   * URL's user, password and TLS apply to every node.
   */
  url?: string;
  /** A connection you own: the store uses it and never closes it. */
  client?: Redis | Cluster;
  /**
   * Redis Cluster: an ioredis `Cluster` you own (never closed by the store), or startup nodes
   * (`'host:port'` or `{ host, port }`) for a cluster connection the store opens and closes.
   */
  cluster?: Cluster | ReadonlyArray<string | RedisNode>;
  /** Buckets (cluster slots) one namespace spreads over; fixed for the life of a namespace. Default 1. */
  shards?: number;
  /** First part of every key's hash tag. Default `'taskvault'`. */
  keyPrefix?: string;
  /** Longest wait for a reply, and for a connection, before a call rejects with BACKEND_UNAVAILABLE. Default 2000. */
  commandTimeoutMs?: number;
  /** Longest wait for a TCP/TLS connection to open. Default 3000. */
  connectTimeoutMs?: number;
  /**
   * Extra ioredis options for a connection the store opens (`tls`, `username`, `password`, `db`,
   * `connectionName` ...). The fault settings (no offline queue, no resend, retry forever) are
   * always the store's own.
   */
  redisOptions?: RedisOptions;
}

/** Where the store's connection comes from. */
export type ConnectionSource =
  | { kind: 'url'; url: string }
  | { kind: 'nodes'; nodes: RedisNode[]; url: string | undefined }
  | { kind: 'client'; client: Redis | Cluster };

/** Options after checks and defaults. */
export interface ResolvedRedisOptions {
  source: ConnectionSource;
  shards: number;
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  redisOptions: RedisOptions;
}

export const DEFAULT_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

function bad(path: string, detail: string): never {
  throw taskStoreError('config', 'CONFIG_INVALID', { path, detail });
}

function checkMs(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 600_000) {
    bad(path, 'must be a whole number of milliseconds from 1 to 600000');
  }
  return value;
}

function checkUrl(url: unknown): string {
  if (typeof url !== 'string') return bad('url', 'must be a redis:// or rediss:// URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return bad('url', 'is not a URL (expected redis://host:port or rediss://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    bad('url', `must start with redis:// or rediss://, got ${parsed.protocol}//`);
  }
  return url;
}

function checkNodes(nodes: ReadonlyArray<string | RedisNode>): RedisNode[] {
  if (nodes.length === 0) bad('cluster', 'must list at least one node');
  return nodes.map((node, i) => {
    if (typeof node === 'string') return parseRedisNode(`cluster[${i}]`, node);
    if (
      typeof node !== 'object' ||
      node === null ||
      typeof node.host !== 'string' ||
      !Number.isInteger(node.port)
    ) {
      return bad(`cluster[${i}]`, 'must be "host:port" or { host, port }');
    }
    return { host: node.host, port: node.port };
  });
}

/** Checks the Redis-specific options. @throws TaskStoreConfigError CONFIG_INVALID */
export function resolveRedisOptions(options: RedisTaskStoreOptions): ResolvedRedisOptions {
  const given = (['url', 'client', 'cluster'] as const).filter((k) => options[k] !== undefined);
  const clusterIsClient = options.cluster instanceof Cluster;
  if (options.client !== undefined && given.length > 1) {
    bad('client', `give either client or ${given.filter((k) => k !== 'client').join('/')}, not both`);
  }
  if (clusterIsClient && options.url !== undefined) {
    bad('cluster', 'give either a Cluster client or url, not both');
  }
  let source: ConnectionSource;
  if (options.client !== undefined) {
    source = { kind: 'client', client: options.client };
  } else if (clusterIsClient) {
    source = { kind: 'client', client: options.cluster as Cluster };
  } else if (options.cluster !== undefined) {
    if (!Array.isArray(options.cluster)) bad('cluster', 'must be an ioredis Cluster or a list of nodes');
    source = {
      kind: 'nodes',
      nodes: checkNodes(options.cluster),
      url: options.url === undefined ? undefined : checkUrl(options.url),
    };
  } else {
    source = { kind: 'url', url: checkUrl(options.url ?? DEFAULT_URL) };
  }
  const shards = options.shards ?? 1;
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > 1024) {
    bad('shards', 'must be a whole number from 1 to 1024');
  }
  return {
    source,
    shards,
    keyPrefix: checkKeyPrefix(options.keyPrefix ?? 'taskvault'),
    commandTimeoutMs: checkMs('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS),
    connectTimeoutMs: checkMs('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    redisOptions: options.redisOptions ?? {},
  };
}
