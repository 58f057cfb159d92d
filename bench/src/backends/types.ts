/** What every benchmarked backend provides: a store to time, raw sides to compare with, servers to stop. */
import type { TaskStore } from '@taskvault/core';
import type { OpPair, Side } from '../harness.js';

/** The operations measured against a raw baseline. */
export const OP_NAMES = [
  'create',
  'load',
  'update',
  'patch',
  'loadByRequestId',
  'list',
  'countActive',
] as const;
export type OpName = (typeof OP_NAMES)[number];

/** The backends `pnpm bench` knows. */
export const BACKEND_NAMES = ['memory', 'redis', 'redis-cluster', 'postgres', 'sqlite'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The raw round trips a backend offers; each op is compared with one of them (see `RAW_FOR_OP`). */
export interface RawSides {
  /** Writes the document under a new key. */
  insert: Side;
  /** Reads one document by key. */
  read: Side;
  /** Overwrites an existing document. */
  write: Side;
  /** Reads 50 documents in one round trip: the nearest raw analogue of a list page. */
  readPage: Side;
  /** Reads one small number in one round trip: the nearest raw analogue of countActive. */
  readCount: Side;
  /** How each is named in the table. */
  labels: { [K in RawKind]: string };
}

export type RawKind = 'insert' | 'read' | 'write' | 'readPage' | 'readCount';

/** Which raw round trip each operation is compared with; `direct` when it is the same round trip. */
export const RAW_FOR_OP: { [K in OpName]: { kind: RawKind; direct: boolean } } = {
  create: { kind: 'insert', direct: true },
  load: { kind: 'read', direct: true },
  update: { kind: 'write', direct: true },
  patch: { kind: 'write', direct: false },
  loadByRequestId: { kind: 'read', direct: false },
  list: { kind: 'readPage', direct: false },
  countActive: { kind: 'readCount', direct: false },
};

/** One backend, started with its own servers, ready to be measured. */
export interface BackendSession {
  readonly name: BackendName;
  /** Server and client versions, for the report header. */
  readonly description: string;
  /** A store for the operation cells (its own namespace or database). */
  opStore(): Promise<TaskStore>;
  /** The raw baselines, on their own keys or table, with their fixtures loaded. */
  rawSides(): Promise<RawSides>;
  /** Closes the op store and frees what the operation cells stored, before the scale runs. */
  releaseOps(): Promise<void>;
  /**
   * Where a peer library of `--peers` runs (`slug` names it): the URL of this backend's Redis
   * server, or of a new PostgreSQL database of its own; null in memory.
   */
  peerTarget(slug: string): Promise<string | null>;
  /**
   * Postgres only: the taskvault store at its default pool size and a raw side at the same size,
   * for the rows that set each side's default pool next to the same pool (`--peers`).
   */
  defaultPool?(): Promise<DefaultPoolSides>;
  /** A store on an empty namespace or database for the scale runs. */
  scaleStore(): Promise<TaskStore>;
  /**
   * A store on a namespace of its own for the A2A task store cells (`a2a.ts`), next to the op
   * store so the raw fixtures are still there; absent where the A2A cells do not run.
   */
  a2aStore?(): Promise<TaskStore>;
  /**
   * A new store on `namespace` with a client of its own, as another process would open it:
   * stores opened on one namespace share its tasks. For the change feed and cache section
   * (`feed-cache.ts`).
   */
  feedStore?(namespace: string): Promise<TaskStore>;
  /** Closes clients and stops the servers this session started. */
  close(): Promise<void>;
}

/** The taskvault store and a raw side, both at the store's default pool size. */
export interface DefaultPoolSides {
  store: TaskStore;
  raw: RawSides;
  /** The pool size both use. */
  pool: number;
}

/** How a session is opened. */
export interface BackendOptions {
  /** Slots a namespace spreads over on Redis Cluster. */
  shards: number;
  /** Pool size of Postgres (both sides) and the most concurrent workers. */
  maxConcurrency: number;
}

/** Builds the pairs of a backend from its store and raw sides. */
export type PairsOf = { [K in OpName]: OpPair };
