/**
 * The A2A task store (`@taskvault/a2a`) on each backend: `save` (over a stored task, as the
 * request handler saves on every event) and `load` of the agent task as an A2A `Task`, timed in
 * the same rounds as a baseline — the SDK's own `InMemoryTaskStore` on memory, the raw driver's
 * write and read of the same-size document on Redis and PostgreSQL. The fixtures and ids are the
 * peers' (`peers/fixtures.ts`), so both sides touch the same number of records in the same order.
 */
import { type TaskStore as A2ATaskStore, InMemoryTaskStore, ServerCallContext } from '@a2a-js/sdk/server';
import { TaskvaultA2ATaskStore } from '@taskvault/a2a';
import type { BackendSession, RawSides } from './backends/types.js';
import { type CellResult, measurePair, type Side } from './harness.js';
import { formatMs, formatOps, formatRatio, oneLine, table } from './markdown.js';
import type { BenchOptions } from './options.js';
import { a2aTask } from './peers/a2a-memory.js';
import { peerSession } from './peers/fixtures.js';
import type { ProgressStream } from './progress.js';
import type { BackendRecord, BenchResults } from './results.js';

/** The A2A store's operations, in the order they run (reads first). */
export const A2A_OPS = ['load', 'save'] as const;
export type A2AOp = (typeof A2A_OPS)[number];

/** One A2A operation at one concurrency on one backend. */
export interface A2ACellRecord {
  op: A2AOp;
  concurrency: number;
  /** What the baseline does, for the table. */
  baselineLabel: string;
  /** `taskvault` is the A2A store on taskvault; `raw` is the baseline. */
  result: CellResult | null;
  error: string | null;
}

/** Saves and loads through an A2A `TaskStore`, on the peers' fixtures. */
async function a2aSides(store: A2ATaskStore, maxConcurrency: number) {
  const context = new ServerCallContext();
  const task = a2aTask();
  const save = (id: string) => store.save({ ...task, id }, context);
  const session = await peerSession(
    { insert: save, read: (id) => store.load(id, context), write: save },
    maxConcurrency,
    async () => undefined,
  );
  return { load: session.sides.load, save: session.sides.update };
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Times the A2A store's save and load against the backend's baseline, at each concurrency of
 * `options`. Runs while the op cells' raw fixtures exist (`raw`). A cell that fails is recorded.
 */
export async function measureA2A(
  session: BackendSession,
  raw: RawSides,
  options: BenchOptions,
  log: ProgressStream,
): Promise<A2ACellRecord[]> {
  if (session.a2aStore === undefined) return [];
  const maxConcurrency = Math.max(...options.concurrency);
  const ours = await a2aSides(new TaskvaultA2ATaskStore(await session.a2aStore()), maxConcurrency);
  let baseline: { [K in A2AOp]: { side: Side; label: string } };
  if (session.name === 'memory') {
    const sdk = await a2aSides(new InMemoryTaskStore(), maxConcurrency);
    baseline = {
      load: { side: sdk.load, label: 'InMemoryTaskStore load' },
      save: { side: sdk.save, label: 'InMemoryTaskStore save' },
    };
  } else {
    baseline = {
      load: { side: raw.read, label: raw.labels.read },
      save: { side: raw.write, label: raw.labels.write },
    };
  }
  const records: A2ACellRecord[] = [];
  for (const op of A2A_OPS) {
    for (const concurrency of options.concurrency) {
      const record: A2ACellRecord = {
        op,
        concurrency,
        baselineLabel: baseline[op].label,
        result: null,
        error: null,
      };
      try {
        record.result = await measurePair(
          { taskvault: ours[op], raw: baseline[op].side, rawLabel: baseline[op].label },
          { concurrency, rounds: options.rounds, durationMs: options.durationMs, warmupMs: options.warmupMs },
        );
        const r = record.result;
        log.write(
          `  ${session.name} a2a ${op} c=${concurrency}: ${formatOps(r.taskvault.opsPerSec)} vs ` +
            `${formatOps(r.raw.opsPerSec)} ops/s (${r.ratio.toFixed(2)}×)\n`,
        );
      } catch (error) {
        record.error = message(error);
        log.write(`  ${session.name} a2a ${op} c=${concurrency}: failed: ${record.error}\n`);
      }
      records.push(record);
    }
  }
  return records;
}

function rows(backend: BackendRecord): string[][] {
  if (backend.a2aError !== null && backend.a2a.length === 0) {
    return [[backend.name, `error: ${oneLine(backend.a2aError)}`, '', '', '', '', '', '', '', '', '']];
  }
  return backend.a2a.map((cell) => {
    const head = [backend.name, cell.op, String(cell.concurrency)];
    if (cell.result === null) {
      return [
        ...head,
        `error: ${oneLine(cell.error ?? 'unknown')}`,
        '',
        '',
        cell.baselineLabel,
        '',
        '',
        '',
        '–',
      ];
    }
    const { taskvault: tv, raw: base, ratio } = cell.result;
    return [
      ...head,
      formatOps(tv.opsPerSec),
      formatMs(tv.p50Ms),
      formatMs(tv.p99Ms),
      cell.baselineLabel,
      formatOps(base.opsPerSec),
      formatMs(base.p50Ms),
      formatMs(base.p99Ms),
      `**${formatRatio(ratio)}**`,
    ];
  });
}

/** The report's A2A section; null when no backend ran it. */
export function a2aSection(results: BenchResults): string | null {
  const measured = results.backends.filter((b) => b.a2a.length > 0 || b.a2aError !== null);
  if (measured.length === 0) return null;
  return [
    '## A2A task store (`@taskvault/a2a`)',
    '`TaskvaultA2ATaskStore` saving (over a stored task: read, compare, one compare-and-set write) and ' +
      'loading the agent task as an A2A `Task`, against the SDK’s `InMemoryTaskStore` on memory and ' +
      'the raw driver’s write and read of the same-size document on Redis and PostgreSQL.',
    table(
      [
        'backend',
        'op',
        'c',
        'A2A store ops/s',
        'p50 ms',
        'p99 ms',
        'baseline',
        'ops/s',
        'p50 ms',
        'p99 ms',
        'ours/baseline',
      ],
      measured.flatMap(rows),
    ),
  ].join('\n\n');
}
