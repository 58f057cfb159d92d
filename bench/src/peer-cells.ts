/**
 * `--peers`: the sides measured in the same rounds as a cell's taskvault and raw sides — the
 * peer libraries of PEERS.md and, on Postgres, taskvault and raw at the store's default pool size
 * — and the records of what they measured.
 */
import { taskvaultSides } from './backends/taskvault.js';
import { type BackendSession, type OpName, RAW_FOR_OP } from './backends/types.js';
import { type CellPlan, type CellResult, measureSides, pairedRatio, type Side } from './harness.js';
import { PEER_OPS, type PeerOp, type PeerSession } from './peers/types.js';
import type { ProgressStream } from './progress.js';
import type { ExtraSideRecord, PeerRecord } from './results.js';

/** One extra side of a cell. */
interface ExtraSide {
  label: string;
  role: ExtraSideRecord['role'];
  side: Side;
  /** Index, among the extras, of the raw side at this side's pool size; null for the cell's raw. */
  samePoolRaw: number | null;
}

/** The extras of a backend, opened with their fixtures. */
export interface CellExtras {
  peers: PeerRecord[];
  /** Pool size of the default-pool rows; null when there are none. */
  defaultPool: number | null;
  /** The extra sides of `op`'s cell, in the order they run after taskvault and raw. */
  sidesFor(op: OpName): ExtraSide[];
  close(): Promise<void>;
}

function isPeerOp(op: OpName): op is PeerOp {
  return (PEER_OPS as readonly string[]).includes(op);
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Opens every peer of the session's backend (a peer that fails to open is recorded and left out)
 * and, where the backend has one, the default-pool pair.
 */
export async function openExtras(
  session: BackendSession,
  maxConcurrency: number,
  log: ProgressStream,
): Promise<CellExtras> {
  const fixed: { [K in PeerOp]: ExtraSide[] } = { create: [], load: [], update: [] };
  let defaultPool: number | null = null;
  if (session.defaultPool !== undefined) {
    const pair = await session.defaultPool();
    const tv = await taskvaultSides(pair.store, maxConcurrency);
    defaultPool = pair.pool;
    for (const op of PEER_OPS) {
      fixed[op].push(
        {
          label: `raw (pool ${pair.pool})`,
          role: 'raw',
          side: pair.raw[RAW_FOR_OP[op].kind],
          samePoolRaw: null,
        },
        { label: `taskvault (pool ${pair.pool}, default)`, role: 'taskvault', side: tv[op], samePoolRaw: 0 },
      );
    }
  }
  const records: PeerRecord[] = [];
  const sessions: PeerSession[] = [];
  // Loaded only with --peers, so the default run never loads the peer libraries.
  const { PEERS } = await import('./peers/index.js');
  for (const peer of PEERS[session.name]) {
    const record: PeerRecord = { label: peer.label, calls: peer.calls, error: null };
    records.push(record);
    try {
      const opened = await peer.open({ url: await session.peerTarget(peer.slug), maxConcurrency });
      sessions.push(opened);
      for (const op of PEER_OPS) {
        fixed[op].push({ label: peer.label, role: 'peer', side: opened.sides[op], samePoolRaw: null });
      }
    } catch (error) {
      record.error = message(error);
      log.write(`  ${session.name} peer ${peer.label}: not measured (${record.error})\n`);
    }
  }
  return {
    peers: records,
    defaultPool,
    sidesFor: (op) => (isPeerOp(op) ? fixed[op] : []),
    close: async () => {
      await Promise.all(sessions.splice(0).map((s) => s.close()));
    },
  };
}

/** Measures taskvault, raw and `extras` in the same rounds; ratios are per round, then the median. */
export async function measureCell(
  taskvault: Side,
  raw: Side,
  extras: readonly ExtraSide[],
  plan: CellPlan,
): Promise<{ result: CellResult; extras: ExtraSideRecord[] }> {
  const [tv, base, ...others] = await measureSides([taskvault, raw, ...extras.map((e) => e.side)], plan);
  return {
    result: { taskvault: tv!, raw: base!, ratio: pairedRatio(tv!, base!) },
    extras: extras.map((extra, i) => {
      const result = others[i]!;
      const samePool = extra.samePoolRaw === null ? null : others[extra.samePoolRaw]!;
      return {
        label: extra.label,
        role: extra.role,
        result,
        ratio: pairedRatio(result, base!),
        samePoolRatio: samePool === null ? null : pairedRatio(result, samePool),
      };
    }),
  };
}
