/** The shape of a run's results: what the JSON file holds and the markdown is made from. */
import type { A2ACellRecord } from './a2a.js';
import type { BackendName, OpName } from './backends/types.js';
import type { CopyRecord } from './copy.js';
import type { FeedCacheRecord } from './feed-cache.js';
import type { CellResult, SideResult } from './harness.js';
import type { BenchOptions } from './options.js';
import type { PeerOp } from './peers/types.js';
import type { ScalePoint } from './scale.js';
import type { TelemetryRecord } from './telemetry-overhead.js';
import type { WriteCostPoint } from './write-cost.js';

/** One operation at one concurrency on one backend. */
export interface CellRecord {
  op: OpName;
  concurrency: number;
  rawLabel: string;
  /** False when the raw side is only the nearest round trip, not the same one. */
  direct: boolean;
  result: CellResult | null;
  error: string | null;
  /** With `--peers`: the other sides measured in the same rounds (peers, other pool sizes). */
  extras: ExtraSideRecord[];
}

/** A side measured in the same rounds as a cell's taskvault and raw sides. */
export interface ExtraSideRecord {
  /** Row label: the peer library, or `taskvault (pool 10, default)`, `raw (pool 10)`. */
  label: string;
  role: 'peer' | 'taskvault' | 'raw';
  result: SideResult;
  /** Median of per-round ratios to the cell's raw side. */
  ratio: number;
  /** A row at another pool size: median of per-round ratios to the raw side at that pool size. */
  samePoolRatio: number | null;
}

/** A peer of `--peers` on a backend: what it does per call, and why it was not measured. */
export interface PeerRecord {
  label: string;
  calls: { [K in PeerOp]: string };
  error: string | null;
}

export interface BackendRecord {
  name: BackendName;
  description: string;
  /** Set when the backend could not be opened (package not built, server missing). */
  error: string | null;
  cells: CellRecord[];
  scale: ScalePoint[];
  scaleError: string | null;
  /** Patch timings on big tasks (`write-cost.ts`); points that failed carry their error. */
  writeCost: WriteCostPoint[];
  writeCostError: string | null;
  /** The A2A task store's save and load against its baseline (`a2a.ts`); empty with `--no-a2a`. */
  a2a: A2ACellRecord[];
  a2aError: string | null;
  /** The change feed's write cost and the cache's figures (`feed-cache.ts`); null when skipped. */
  feedCache: FeedCacheRecord | null;
  feedCacheError: string | null;
  /** With `--peers`: the peers of this backend, measured or not. */
  peers: PeerRecord[];
  /** With `--peers` on Postgres: the pool size of the `(default pool)` rows. */
  defaultPool: number | null;
  seconds: number;
}

/** A target from PEERS.md, the project's floors or SPEC, checked against this run. */
export interface TargetRecord {
  backend: BackendName;
  /** `load vs GET at c=32`, `list p50 growth 10k -> 1M`. */
  what: string;
  /** `ratio` (>= is good) or `growth` (< is good). */
  kind: 'ratio' | 'growth';
  value: number | null;
  /** The bar: a floor for a ratio, a ceiling for a growth. */
  required: number;
  /** Where the bar comes from. */
  source: 'PEERS.md' | 'floor' | 'SPEC';
  /** null when the run did not measure it. */
  met: boolean | null;
}

export interface BenchResults {
  startedAt: string;
  seconds: number;
  machine: { node: string; cpus: number; cpuModel: string; platform: string; memoryGb: number };
  options: BenchOptions;
  backends: BackendRecord[];
  targets: TargetRecord[];
  /** `taskvault copy` Redis -> PostgreSQL at the scale sizes; null when not measured. */
  copy: CopyRecord | null;
  /** What OpenTelemetry reporting costs a memory store call; null with `--no-telemetry`. */
  telemetry: TelemetryRecord | null;
}
