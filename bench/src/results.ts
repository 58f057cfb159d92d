/** The shape of a run's results: what the JSON file holds and the markdown is made from. */
import type { BackendName, OpName } from './backends/types.js';
import type { CellResult } from './harness.js';
import type { BenchOptions } from './options.js';
import type { ScalePoint } from './scale.js';
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
  seconds: number;
}

/** A target from PEERS.md or the issue, checked against this run. */
export interface TargetRecord {
  backend: BackendName;
  /** `load vs GET at c=32`, `list p50 growth 10k -> 1M`. */
  what: string;
  /** `ratio` (>= is good) or `growth` (< is good). */
  kind: 'ratio' | 'growth';
  value: number | null;
  /** The floor the issue sets (ratio) or the ceiling (growth). */
  required: number;
  /** The higher aim PEERS.md sets, when it sets one. */
  aim: number | null;
  /** null when the run did not measure it. */
  met: boolean | null;
  aimMet: boolean | null;
}

export interface BenchResults {
  startedAt: string;
  seconds: number;
  machine: { node: string; cpus: number; cpuModel: string; platform: string; memoryGb: number };
  options: BenchOptions;
  backends: BackendRecord[];
  targets: TargetRecord[];
}
