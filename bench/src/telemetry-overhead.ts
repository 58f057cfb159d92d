/**
 * What OpenTelemetry reporting costs a store call, on the memory store (the cheapest calls, so
 * the largest share): the same create / load / update timed in the same rounds with
 * `telemetry: false` (methods left as they are), with `@opentelemetry/api` installed and no SDK
 * registered (the default for an application that never set one up: SPEC asks for no measurable
 * cost), and with an SDK taking every span and metric (what reporting itself costs).
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AgentTask, NewTask, StoreTelemetryOption, TaskStore } from '@taskvault/core';
import { type CellPlan, measureSides, pairedRatio, type Side } from './harness.js';
import { formatOps, formatRatio, table } from './markdown.js';
import type { ProgressStream } from './progress.js';

/** The sides, in the order they run in every round. */
export const TELEMETRY_SIDES = ['off', 'api, no SDK', 'SDK recording'] as const;
const OPS = ['create', 'load', 'update'] as const;

/** One operation's figures: ops/s per side, and each side's ratio to `off` (same rounds). */
export interface TelemetryOverheadRow {
  op: (typeof OPS)[number];
  opsPerSec: Record<(typeof TELEMETRY_SIDES)[number], number>;
  /** Median over rounds of side ÷ off: 1.0 is no cost. */
  ratio: Record<(typeof TELEMETRY_SIDES)[number], number>;
}

function newTask(id: string): NewTask {
  return {
    taskId: id,
    status: 'running',
    items: [
      { requestId: `${id}:r`, role: 'user', content: 'look up the weather in Paris', createdAt: new Date() },
    ],
    data: { query: 'look up the weather in Paris', maxSteps: 10, notes: 'x'.repeat(1500) },
  };
}

/** A store and its fixtures for one side; `prepare` refills what creates and updates need. */
function sideFor(op: (typeof OPS)[number], open: () => TaskStore, stores: TaskStore[]): Side {
  let store = open();
  stores.push(store);
  const pool: AgentTask[] = [];
  let created = 0;
  return {
    prepare: async (expectedOps) => {
      // A fresh store per run keeps the registry (and the heap) the same size for every side.
      await store.close();
      store = open();
      stores.push(store);
      pool.length = 0;
      if (op !== 'create') for (let i = 0; i < 256; i++) pool.push(await store.create(newTask(`t${i}`)));
      void expectedOps;
    },
    run: async (_worker, seq) => {
      if (op === 'create') return store.create(newTask(`c${created++}`));
      const slot = seq % pool.length;
      if (op === 'load') return store.load(pool[slot]!.taskId);
      pool[slot] = await store.update(pool[slot]!);
      return pool[slot];
    },
  };
}

/** Measures every operation with every side at concurrency 1, in the same rounds. */
export async function measureTelemetryOverhead(
  plan: Omit<CellPlan, 'concurrency'>,
  log: ProgressStream,
): Promise<TelemetryOverheadRow[]> {
  const { MemoryTaskStore } = await import('@taskvault/memory');
  // A production-shaped pipeline: spans batched to an exporter (one that drops them), metrics
  // aggregated in the SDK and read once an hour.
  const dropSpans: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] });
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const options: Record<(typeof TELEMETRY_SIDES)[number], StoreTelemetryOption> = {
    off: false,
    'api, no SDK': true,
    'SDK recording': { tracerProvider, meterProvider },
  };
  const stores: TaskStore[] = [];
  const rows: TelemetryOverheadRow[] = [];
  try {
    for (const op of OPS) {
      const sides = TELEMETRY_SIDES.map((name) =>
        sideFor(op, () => new MemoryTaskStore({ namespace: 'bench-otel', telemetry: options[name] }), stores),
      );
      const results = await measureSides(sides, { ...plan, concurrency: 1 }, { rotate: true });
      const off = results[0]!;
      const row: TelemetryOverheadRow = {
        op,
        opsPerSec: Object.fromEntries(TELEMETRY_SIDES.map((n, i) => [n, results[i]!.opsPerSec])) as never,
        ratio: Object.fromEntries(TELEMETRY_SIDES.map((n, i) => [n, pairedRatio(results[i]!, off)])) as never,
      };
      rows.push(row);
      log.write(
        `  telemetry ${op}: ${TELEMETRY_SIDES.map((n) => `${n} ${row.ratio[n].toFixed(3)}×`).join(', ')}\n`,
      );
    }
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  }
  return rows;
}

/** What the telemetry section found: its rows, or why it could not run. */
export interface TelemetryRecord {
  rows: TelemetryOverheadRow[];
  error: string | null;
}

/** The markdown section; null when it did not run. */
export function telemetrySection(record: TelemetryRecord | null): string | null {
  if (record === null) return null;
  const head = [
    '### OpenTelemetry: what reporting costs a call',
    '',
    'The memory store (the cheapest calls, so the largest share), c=1, the same rounds for every',
    'column; each ratio is the median of per-round ratios to `telemetry: false`. SPEC asks that',
    'with the API installed and no SDK registered the cost is not measurable (target within',
    'run-to-run noise, ≤ 2%); "SDK recording" is the price of a span (batched to an exporter) and',
    'the metric records of a call.',
  ].join('\n');
  if (record.error !== null) return `${head}\n\nerror: ${record.error}`;
  return `${head}\n\n${table(
    ['op', ...TELEMETRY_SIDES.map((n) => `${n} ops/s`), ...TELEMETRY_SIDES.slice(1).map((n) => `${n} / off`)],
    record.rows.map((r) => [
      r.op,
      ...TELEMETRY_SIDES.map((n) => formatOps(r.opsPerSec[n])),
      ...TELEMETRY_SIDES.slice(1).map((n) => formatRatio(r.ratio[n])),
    ]),
  )}`;
}
