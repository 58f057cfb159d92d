/**
 * The targets a run is checked against, as ratios to the raw baseline of the same run: the bars
 * of /work/shared/PEERS.md ("Where taskvault should land", at concurrency 1 and 32, the same pool
 * size on both sides for Postgres), the project's own floors for the cells PEERS.md says nothing
 * about, "ahead of every peer" when `--peers` measured them, Redis Cluster against one node, and
 * cost growth with the number of tasks and with the size of a task.
 */
import type { BackendName, OpName } from './backends/types.js';
import { PEER_OPS } from './peers/types.js';
import type { BackendRecord, CellRecord, TargetRecord } from './results.js';
import { formatSize, SCALE_QUERIES } from './scale.js';
import { LINEAR_SLACK, writeCostRows } from './write-cost.js';

/** Largest acceptable p50 growth from the smallest to the largest size. */
export const MAX_GROWTH = 2;
/** Redis Cluster's list, countActive and loadByRequestId against the same call on one node. */
export const CLUSTER_VS_NODE = 0.5;

/** A ratio bar per concurrency; a concurrency without one is not checked. */
interface RatioTarget {
  op: OpName;
  bars: { [concurrency: number]: number };
  source: TargetRecord['source'];
}

const peersBar = (op: OpName, c1: number, c32: number): RatioTarget => ({
  op,
  bars: { 1: c1, 32: c32 },
  source: 'PEERS.md',
});
const projectFloor = (op: OpName, c32: number): RatioTarget => ({ op, bars: { 32: c32 }, source: 'floor' });

const RATIO_TARGETS: { [B in BackendName]: RatioTarget[] } = {
  memory: [
    peersBar('create', 0.9, 0.9),
    peersBar('load', 0.9, 0.9),
    peersBar('update', 0.9, 0.9),
    ...(['patch', 'loadByRequestId', 'list', 'countActive'] as const).map((op) => projectFloor(op, 0.5)),
  ],
  redis: [
    peersBar('create', 0.8, 0.9),
    peersBar('update', 0.8, 0.9),
    peersBar('patch', 0.8, 0.9),
    peersBar('load', 0.9, 1.5),
  ],
  // PEERS.md sets the cluster no ratio to raw; the project holds it to Redis' floors.
  'redis-cluster': [
    projectFloor('load', 0.8),
    projectFloor('create', 0.5),
    projectFloor('update', 0.5),
    projectFloor('patch', 0.5),
  ],
  // The cells of the main table: the store and the raw side both have a pool of the largest concurrency.
  postgres: [peersBar('create', 0.9, 1.0), peersBar('update', 0.9, 1.0), peersBar('load', 0.9, 0.9)],
  // no ratio is set for SQLite yet: the rows are reported against raw better-sqlite3, not held to a bar
  sqlite: [],
};

const CLUSTER_OPS: readonly OpName[] = ['list', 'countActive', 'loadByRequestId'];

function ratioTargets(backend: BackendRecord): TargetRecord[] {
  const out: TargetRecord[] = [];
  for (const target of RATIO_TARGETS[backend.name]) {
    for (const [c, bar] of Object.entries(target.bars)) {
      const cell = backend.cells.find((x) => x.op === target.op && x.concurrency === Number(c));
      if (cell === undefined) continue; // not part of this run
      const value = cell.result?.ratio ?? null;
      out.push({
        backend: backend.name,
        what: `${target.op} vs ${cell.rawLabel} at c=${c}${backend.name === 'postgres' ? ' (same pool)' : ''}`,
        kind: 'ratio',
        value,
        required: bar,
        source: target.source,
        met: value === null ? null : value >= bar,
      });
    }
  }
  return out;
}

/** The peer with the best ratio in a cell, or null when no peer was measured there. */
function bestPeer(cell: CellRecord): { label: string; ratio: number } | null {
  let best: { label: string; ratio: number } | null = null;
  for (const extra of cell.extras) {
    if (
      extra.role === 'peer' &&
      Number.isFinite(extra.ratio) &&
      (best === null || extra.ratio > best.ratio)
    ) {
      best = { label: extra.label, ratio: extra.ratio };
    }
  }
  return best;
}

/**
 * PEERS.md: ahead of every peer on every cell. The figure is the smallest taskvault ratio ÷ best
 * peer ratio over the create, load and update cells; the cell it comes from is named.
 */
function aheadOfPeers(backend: BackendRecord): TargetRecord | null {
  let worst: { margin: number; where: string } | null = null;
  for (const cell of backend.cells) {
    if (!(PEER_OPS as readonly string[]).includes(cell.op) || cell.result === null) continue;
    const best = bestPeer(cell);
    if (best === null) continue;
    const margin = cell.result.ratio / best.ratio;
    if (worst === null || margin < worst.margin) {
      worst = {
        margin,
        where: `${cell.op} c=${cell.concurrency}: ${cell.result.ratio.toFixed(2)}× vs ${best.label} ${best.ratio.toFixed(2)}×`,
      };
    }
  }
  if (worst === null) return null;
  return {
    backend: backend.name,
    what: `ahead of every peer on create/load/update (closest cell: ${worst.where})`,
    kind: 'ratio',
    value: worst.margin,
    required: 1,
    source: 'PEERS.md',
    met: worst.margin >= 1,
  };
}

/** PEERS.md: the cluster's scatter-gather reads ≥ 0.5× the same call on one node (ops/s, same run). */
function clusterVsNode(cluster: BackendRecord, node: BackendRecord): TargetRecord[] {
  const out: TargetRecord[] = [];
  for (const op of CLUSTER_OPS) {
    for (const cell of cluster.cells.filter((c) => c.op === op)) {
      const single = node.cells.find((c) => c.op === op && c.concurrency === cell.concurrency);
      if (single === undefined) continue;
      const a = cell.result?.taskvault.opsPerSec;
      const b = single.result?.taskvault.opsPerSec;
      const value = a === undefined || b === undefined ? null : a / b;
      out.push({
        backend: cluster.name,
        what: `${op} on the cluster vs on one node at c=${cell.concurrency}`,
        kind: 'ratio',
        value,
        required: CLUSTER_VS_NODE,
        source: 'PEERS.md',
        met: value === null || !Number.isFinite(value) ? null : value >= CLUSTER_VS_NODE,
      });
    }
  }
  return out;
}

function growthTargets(backend: BackendRecord): TargetRecord[] {
  const out: TargetRecord[] = [];
  // SPEC "Faults": a write costs at most linear in the task's size plus the change.
  const sizes = [...new Set(backend.writeCost.map((p) => p.size))].sort((a, b) => a - b);
  for (const row of writeCostRows(backend.writeCost, sizes)) {
    out.push({
      backend: backend.name,
      what: `${row.label} growth ${formatSize(sizes[0]!)} -> ${formatSize(sizes[sizes.length - 1]!)} items`,
      kind: 'growth',
      value: row.factor,
      required: row.bound * LINEAR_SLACK,
      source: 'SPEC',
      met: row.worseThanLinear === null ? null : !row.worseThanLinear,
    });
  }
  const first = backend.scale[0];
  const last = backend.scale[backend.scale.length - 1];
  if (first === undefined || last === undefined || first === last) return out;
  for (const query of SCALE_QUERIES) {
    const value = last.queries[query].p50Ms / first.queries[query].p50Ms;
    out.push({
      backend: backend.name,
      what: `${query} p50 growth ${formatSize(first.size)} -> ${formatSize(last.size)}`,
      kind: 'growth',
      value,
      required: MAX_GROWTH,
      source: 'PEERS.md',
      met: Number.isFinite(value) ? value < MAX_GROWTH : null,
    });
  }
  return out;
}

/** Checks every target whose cells the run measured; a cell that failed comes back with `met: null`. */
export function checkTargets(backends: readonly BackendRecord[]): TargetRecord[] {
  const out: TargetRecord[] = [];
  const node = backends.find((b) => b.name === 'redis');
  for (const backend of backends) {
    out.push(...ratioTargets(backend));
    const ahead = aheadOfPeers(backend);
    if (ahead !== null) out.push(ahead);
    if (backend.name === 'redis-cluster' && node !== undefined) out.push(...clusterVsNode(backend, node));
    out.push(...growthTargets(backend));
  }
  return out;
}
