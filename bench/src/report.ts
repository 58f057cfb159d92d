/** The run's results as a markdown report (stdout) and as JSON (bench/results/<timestamp>.json). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { a2aSection } from './a2a.js';
import { copySection } from './copy.js';
import { feedCacheSection } from './feed-cache.js';
import { formatMs, formatOps, formatRatio, oneLine, table } from './markdown.js';
import { peersSection } from './peer-report.js';
import type { BackendRecord, BenchResults, CellRecord, TargetRecord } from './results.js';
import { formatSize, type ScalePoint } from './scale.js';
import { telemetrySection } from './telemetry-overhead.js';
import { LINEAR_SLACK, writeCostRows } from './write-cost.js';

const OP_LABELS: Record<string, string> = {
  create: 'create',
  load: 'load',
  update: 'update',
  patch: 'patch (appendItems)',
  loadByRequestId: 'loadByRequestId',
  list: 'list (50, status filter)',
  countActive: 'countActive',
};

function cellRow(cell: CellRecord): string[] {
  const op = OP_LABELS[cell.op] ?? cell.op;
  const raw = cell.direct ? cell.rawLabel : `≈ ${cell.rawLabel}`;
  if (cell.result === null) {
    return [
      op,
      String(cell.concurrency),
      `error: ${oneLine(cell.error ?? 'unknown')}`,
      '',
      '',
      raw,
      '',
      '',
      '',
      '–',
    ];
  }
  const { taskvault: tv, raw: base, ratio } = cell.result;
  return [
    op,
    String(cell.concurrency),
    formatOps(tv.opsPerSec),
    formatMs(tv.p50Ms),
    formatMs(tv.p99Ms),
    raw,
    formatOps(base.opsPerSec),
    formatMs(base.p50Ms),
    formatMs(base.p99Ms),
    `**${formatRatio(ratio)}**`,
  ];
}

function backendSection(backend: BackendRecord): string {
  const title = `## ${backend.name}`;
  if (backend.error !== null) return `${title}\n\nnot measured: ${oneLine(backend.error)}`;
  const parts = [`${title}\n\n${backend.description} (${backend.seconds.toFixed(0)} s, servers included)`];
  if (backend.cells.length > 0) {
    parts.push(
      table(
        [
          'operation',
          'c',
          'taskvault ops/s',
          'p50 ms',
          'p99 ms',
          'raw baseline',
          'raw ops/s',
          'p50 ms',
          'p99 ms',
          'tv/raw',
        ],
        backend.cells.map(cellRow),
      ),
    );
  }
  return parts.join('\n\n');
}

function scaleRows(backend: BackendRecord): string[][] {
  const points = backend.scale;
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) return [];
  const growth = (a: number, b: number) => (points.length > 1 ? formatRatio(b / a) : '–');
  const rows: string[][] = [];
  const queryRow = (label: string, pick: (p: ScalePoint) => { p50Ms: number; p99Ms: number }) => {
    rows.push([
      backend.name,
      label,
      ...points.map((p) => `${formatMs(pick(p).p50Ms)} (p99 ${formatMs(pick(p).p99Ms)})`),
      growth(pick(first).p50Ms, pick(last).p50Ms),
    ]);
  };
  queryRow('list page (50, status filter)', (p) => p.queries.list);
  queryRow('loadByRequestId', (p) => p.queries.loadByRequestId);
  queryRow('countActive', (p) => p.queries.countActive);
  const perTask = (p: ScalePoint) =>
    p.cleanup.removed > 0 ? (p.cleanup.ms * 1000) / p.cleanup.removed : Number.NaN;
  rows.push([
    backend.name,
    'cleanup of 10%: total ms, removed (µs per task)',
    ...points.map(
      (p) =>
        `${formatMs(p.cleanup.ms)} ms, ${p.cleanup.removed}${p.cleanup.removed === p.cleanup.expected ? '' : ` of ${p.cleanup.expected}`} (${formatMs(perTask(p))} µs)`,
    ),
    `${growth(perTask(first), perTask(last))} per task`,
  ]);
  rows.push([
    backend.name,
    'preload (tasks/s, via create, c=64)',
    ...points.map((p) => `${formatOps(p.preloaded / p.preloadSeconds)} (${p.preloadSeconds.toFixed(1)} s)`),
    '',
  ]);
  return rows;
}

function scaleSection(results: BenchResults): string | null {
  const measured = results.backends.filter((b) => b.scale.length > 0 || b.scaleError !== null);
  if (measured.length === 0) return null;
  const sizes = results.options.scale;
  const rows = measured.flatMap((b) =>
    b.scaleError !== null && b.scale.length === 0
      ? [[b.name, `error: ${oneLine(b.scaleError)}`, ...sizes.map(() => ''), '']]
      : scaleRows(b),
  );
  return [
    '## Scale: p50 ms (p99) at concurrency 1, by number of stored tasks',
    table(['backend', 'query', ...sizes.map((s) => `${formatSize(s)} tasks`), 'growth (p50)'], rows),
    ...measured
      .filter((b) => b.scaleError !== null && b.scale.length > 0)
      .map((b) => `${b.name}: ${oneLine(b.scaleError!)}`),
  ].join('\n\n');
}

function writeCostTableRows(backend: BackendRecord, sizes: readonly number[]): string[][] {
  if (backend.writeCostError !== null && backend.writeCost.length === 0) {
    return [[backend.name, `error: ${oneLine(backend.writeCostError)}`, ...sizes.map(() => ''), '', '', '']];
  }
  const failed = backend.writeCost.filter((p) => p.error !== null);
  const rows = writeCostRows(backend.writeCost, sizes).map((row) => [
    backend.name,
    row.label,
    ...row.values.map((v) => (v === null ? 'error' : formatMs(v))),
    formatRatio(row.factor),
    `${formatRatio(row.bound)} (< ${formatRatio(row.bound * LINEAR_SLACK)})`,
    row.worseThanLinear === null ? '–' : row.worseThanLinear ? '**WORSE THAN LINEAR**' : 'linear or better',
  ]);
  for (const p of failed) {
    rows.push([backend.name, `+${p.change} on ${formatSize(p.size)}: error: ${oneLine(p.error!)}`]);
  }
  return rows;
}

function writeCostSection(results: BenchResults): string | null {
  const measured = results.backends.filter((b) => b.writeCost.length > 0 || b.writeCostError !== null);
  if (measured.length === 0) return null;
  const sizes = results.options.writeCost;
  const first = sizes[0]!;
  const last = sizes[sizes.length - 1]!;
  return [
    '## Write cost: `patch` appending items with new request ids, median ms, by items already in the task',
    [
      "SPEC's rule: a write costs at most linear in the task's size plus the change × log n. So a patch",
      `may grow like (n + change) from ${formatSize(first)} to ${formatSize(last)} items, and the cost per appended item,`,
      '(time of +1,000 − time of +1) / 999, only like log n; growth above ' +
        `${LINEAR_SLACK}× the bound is flagged.`,
    ].join('\n'),
    table(
      [
        'backend',
        'patch',
        ...sizes.map((s) => `${formatSize(s)} items`),
        `growth ${formatSize(first)} → ${formatSize(last)}`,
        'bound (flagged above)',
        'verdict',
      ],
      measured.flatMap((b) => writeCostTableRows(b, sizes)),
    ),
  ].join('\n\n');
}

function targetVerdict(t: TargetRecord): string {
  if (t.met === null) return 'not measured';
  return t.met ? '**met**' : '**MISSED**';
}

function targetsSection(targets: readonly TargetRecord[]): string | null {
  if (targets.length === 0) return null;
  const rows = targets.map((t) => [
    t.backend,
    t.what,
    // three decimals: a figure just under its bar must not print as the bar itself
    t.value === null || !Number.isFinite(t.value) ? '–' : `${t.value.toFixed(3)}×`,
    t.kind === 'ratio' ? `≥ ${t.required.toFixed(1)}×` : `< ${t.required.toFixed(1)}×`,
    t.source,
    targetVerdict(t),
  ]);
  const met = targets.filter((t) => t.met === true).length;
  const missed = targets.filter((t) => t.met === false).length;
  return [
    '## Targets',
    `${met} met, ${missed} missed${targets.length > met + missed ? `, ${targets.length - met - missed} not measured` : ''}.`,
    table(['backend', 'target', 'figure', 'required', 'source', 'result'], rows),
  ].join('\n\n');
}

/** The whole report as markdown. */
export function renderMarkdown(results: BenchResults): string {
  const o = results.options;
  const m = results.machine;
  const header = [
    `# taskvault bench — ${results.startedAt}`,
    [
      `Node ${m.node} on ${m.platform}, ${m.cpus} CPU (${m.cpuModel}), ${m.memoryGb} GB.`,
      `Each cell: warm-up ${o.warmupMs} ms per side, then ${o.rounds} round(s) of ${o.durationMs} ms taskvault`,
      `followed by ${o.durationMs} ms raw (A/B/A/B…), closed loop with c workers each awaiting its call.`,
      'ops/s, p50 and p99 are medians over the rounds; **tv/raw** is the median of the per-round ratios',
      'taskvault ops/s ÷ raw ops/s. Raw sides store the same ~2.2 KB JSON document.',
      '"≈" marks operations with no raw analogue, compared with the nearest raw round trip',
      '(patch with a whole-document write, loadByRequestId with a read by key, a list page with one',
      'round trip reading 50 documents, countActive with one round trip reading a number).',
      `Run took ${results.seconds.toFixed(0)} s.`,
    ].join('\n'),
  ];
  const sections = [
    ...header,
    ...results.backends.flatMap((b) => [backendSection(b), peersSection(b, o.concurrency)]),
    a2aSection(results),
    scaleSection(results),
    copySection(results.copy),
    telemetrySection(results.telemetry),
    feedCacheSection(results.backends),
    writeCostSection(results),
    targetsSection(results.targets),
  ].filter((s): s is string => s !== null);
  return `${sections.join('\n\n')}\n`;
}

/** Writes `<dir>/<timestamp>.json`; returns its path. */
export async function writeJson(results: BenchResults, dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  await fs.writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
