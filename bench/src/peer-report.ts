/**
 * The `--peers` table of a backend: one row per system (raw, taskvault, each peer), one column
 * per operation and concurrency, every cell ops/s, p50/p99 and the ratio to the raw side measured
 * in the same rounds; then what each peer does per call.
 */
import type { SideResult } from './harness.js';
import { formatMs, formatOps, formatRatio, oneLine, table } from './markdown.js';
import { PEER_OPS } from './peers/types.js';
import type { BackendRecord, CellRecord, ExtraSideRecord } from './results.js';

/** One row of the table: how to find its side in a cell. */
interface Row {
  label: string;
  pick(cell: CellRecord): { side: SideResult; ratio: number; samePoolRatio: number | null } | null;
}

function figures(side: SideResult, ratio: number, samePoolRatio: number | null): string {
  const same = samePoolRatio === null ? '' : ` (same pool ${formatRatio(samePoolRatio)})`;
  return `${formatOps(side.opsPerSec)}/s · ${formatMs(side.p50Ms)} / ${formatMs(side.p99Ms)} ms · **${formatRatio(ratio)}**${same}`;
}

function extraRow(label: string): Row {
  return {
    label,
    pick: (cell) => {
      const extra: ExtraSideRecord | undefined = cell.extras.find((e) => e.label === label);
      return extra === undefined
        ? null
        : { side: extra.result, ratio: extra.ratio, samePoolRatio: extra.samePoolRatio };
    },
  };
}

function rowsOf(backend: BackendRecord, mainPool: number, cells: readonly CellRecord[]): Row[] {
  const pool = backend.defaultPool === null ? '' : ` (pool ${mainPool})`;
  const labels = (role: ExtraSideRecord['role']) => [
    ...new Set(cells.flatMap((c) => c.extras.filter((e) => e.role === role).map((e) => e.label))),
  ];
  return [
    { label: `raw${pool}`, pick: (c) => c.result && { side: c.result.raw, ratio: 1, samePoolRatio: null } },
    ...labels('raw').map(extraRow),
    {
      label: `**taskvault**${pool}`,
      pick: (c) => c.result && { side: c.result.taskvault, ratio: c.result.ratio, samePoolRatio: null },
    },
    ...labels('taskvault').map(extraRow),
    ...labels('peer').map(extraRow),
  ];
}

/** The section, or null when the backend ran without peers. */
export function peersSection(backend: BackendRecord, concurrency: readonly number[]): string | null {
  if (backend.peers.length === 0 && backend.defaultPool === null) return null;
  const cells = backend.cells.filter((c) => (PEER_OPS as readonly string[]).includes(c.op));
  const columns = PEER_OPS.flatMap((op) => concurrency.map((c) => ({ op, c })));
  const mainPool = Math.max(...concurrency);
  const rows = rowsOf(backend, mainPool, cells).map((row) => [
    row.label,
    ...columns.map(({ op, c }) => {
      const cell = cells.find((x) => x.op === op && x.concurrency === c);
      if (cell === undefined) return '';
      if (cell.result === null) return `error: ${oneLine(cell.error ?? 'unknown')}`;
      const picked = row.pick(cell);
      return picked === null ? '–' : figures(picked.side, picked.ratio, picked.samePoolRatio);
    }),
  ]);
  const parts = [
    `### ${backend.name}: taskvault and its peers (ops/s · p50 / p99 ms · ratio to raw in the same rounds)`,
    table(['system', ...columns.map(({ op, c }) => `${op} c=${c}`)], rows),
  ];
  if (backend.defaultPool !== null) {
    parts.push(
      [
        `Pool sizes: the main rows give the store and the raw side a pool of ${mainPool} (same pool; the`,
        `peers get ${mainPool} too). The "pool ${backend.defaultPool}" rows are each side's default: their ratio is to`,
        `raw (pool ${mainPool}), PEERS.md's baseline, and "same pool" is taskvault (pool ${backend.defaultPool}) ÷ raw (pool ${backend.defaultPool}).`,
      ].join('\n'),
    );
  }
  parts.push(
    backend.peers
      .map((p) =>
        p.error !== null
          ? `- ${p.label}: not measured (${oneLine(p.error)})`
          : `- ${p.label}: create \`${p.calls.create}\`; load \`${p.calls.load}\`; update \`${p.calls.update}\``,
      )
      .join('\n'),
  );
  return parts.join('\n\n');
}
