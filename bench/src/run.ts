/**
 * One benchmark run, in process: for each backend, start its servers, time every operation
 * against its raw baseline at each concurrency, then the scale runs, then stop the servers.
 * A backend that cannot be opened, or a cell that fails, is recorded and the run goes on.
 */
import os from 'node:os';
import { measureA2A } from './a2a.js';
import { openMemory } from './backends/memory.js';
import { openPostgres } from './backends/postgres.js';
import { openRedis, openRedisCluster } from './backends/redis.js';
import { openSqlite } from './backends/sqlite.js';
import { taskvaultSides } from './backends/taskvault.js';
import {
  type BackendName,
  type BackendOptions,
  type BackendSession,
  OP_NAMES,
  type OpName,
  RAW_FOR_OP,
  type RawSides,
} from './backends/types.js';
import { measureCopy } from './copy.js';
import { measureFeedCache } from './feed-cache.js';
import { formatOps } from './markdown.js';
import type { BenchOptions } from './options.js';
import { type CellExtras, measureCell, openExtras } from './peer-cells.js';
import type { ProgressStream } from './progress.js';
import type { BackendRecord, BenchResults, CellRecord } from './results.js';
import { measureScale } from './scale.js';
import { checkTargets } from './targets.js';
import { measureTelemetryOverhead, type TelemetryRecord } from './telemetry-overhead.js';
import { measureWriteCost } from './write-cost.js';

const OPENERS: { [B in BackendName]: (options: BackendOptions) => Promise<BackendSession> } = {
  memory: openMemory,
  redis: openRedis,
  'redis-cluster': openRedisCluster,
  postgres: openPostgres,
  sqlite: openSqlite,
};

/**
 * The order cells run in: reads first, so none pays for what a write cell left behind (dead rows
 * of deleted patch targets, garbage); `create` last, because every task it creates stays in the
 * store and a bigger heap or table would tax the cells after it. The report keeps OP_NAMES order.
 */
const EXECUTION_ORDER: readonly OpName[] = [
  'load',
  'loadByRequestId',
  'list',
  'countActive',
  'update',
  'patch',
  'create',
];

function executionOrder(ops: readonly OpName[]): OpName[] {
  return EXECUTION_ORDER.filter((op) => ops.includes(op));
}

/**
 * Logs how long each section of the run took since the previous one (or since this was made), so
 * a slow default run shows where its time went. `prefix` starts each line.
 */
function sectionTimer(prefix: string, log: ProgressStream): (section: string) => void {
  let last = performance.now();
  return (section) => {
    const now = performance.now();
    log.write(`${prefix}${section}: ${((now - last) / 1000).toFixed(1)} s\n`);
    last = now;
  };
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function runBackend(
  name: BackendName,
  options: BenchOptions,
  log: ProgressStream,
): Promise<BackendRecord> {
  const started = performance.now();
  const record: BackendRecord = {
    name,
    description: '',
    error: null,
    cells: [],
    scale: [],
    scaleError: null,
    writeCost: [],
    writeCostError: null,
    a2a: [],
    a2aError: null,
    feedCache: null,
    feedCacheError: null,
    peers: [],
    defaultPool: null,
    seconds: 0,
  };
  const maxConcurrency = Math.max(...options.concurrency);
  const took = sectionTimer(`  ${name} `, log);
  let session: BackendSession;
  try {
    session = await OPENERS[name]({ shards: options.shards, maxConcurrency });
  } catch (error) {
    record.error = message(error);
    log.write(`${name}: not measured (${record.error})\n`);
    return record;
  }
  record.description = session.description;
  log.write(`${name}: ${session.description}\n`);
  took('servers started');
  let extras: CellExtras | null = null;
  let raw: RawSides | null = null;
  try {
    if (options.ops.length > 0) {
      const store = await session.opStore();
      const tv = await taskvaultSides(store, maxConcurrency);
      raw = await session.rawSides();
      if (options.peers) {
        extras = await openExtras(session, maxConcurrency, log);
        record.peers = extras.peers;
        record.defaultPool = extras.defaultPool;
      }
      for (const op of executionOrder(options.ops)) {
        const { kind, direct } = RAW_FOR_OP[op];
        for (const concurrency of options.concurrency) {
          const cell: CellRecord = {
            op,
            concurrency,
            rawLabel: raw.labels[kind],
            direct,
            result: null,
            error: null,
            extras: [],
          };
          try {
            const measured = await measureCell(tv[op], raw[kind], extras?.sidesFor(op) ?? [], {
              concurrency,
              rounds: options.rounds,
              durationMs: options.durationMs,
              warmupMs: options.warmupMs,
            });
            cell.result = measured.result;
            cell.extras = measured.extras;
            const r = cell.result;
            log.write(
              `  ${name} ${op} c=${concurrency}: ${formatOps(r.taskvault.opsPerSec)} vs ` +
                `${formatOps(r.raw.opsPerSec)} ops/s (${r.ratio.toFixed(2)}×)` +
                cell.extras.map((e) => `; ${e.label} ${e.ratio.toFixed(2)}×`).join('') +
                '\n',
            );
          } catch (error) {
            cell.error = message(error);
            log.write(`  ${name} ${op} c=${concurrency}: failed: ${cell.error}\n`);
          }
          record.cells.push(cell);
        }
      }
      record.cells.sort((a, b) => OP_NAMES.indexOf(a.op) - OP_NAMES.indexOf(b.op));
      await extras?.close();
      extras = null;
      took('cells');
    }
    if (options.a2a) {
      try {
        record.a2a = await measureA2A(session, raw ?? (await session.rawSides()), options, log);
      } catch (error) {
        record.a2aError = message(error);
        log.write(`  ${name} a2a: failed: ${record.a2aError}\n`);
      }
      took('a2a');
    }
    if (options.ops.length > 0 || options.a2a) await session.releaseOps();
    if (options.scale.length > 0) {
      try {
        const store = await session.scaleStore();
        record.scale = await measureScale(store, {
          sizes: options.scale,
          durationMs: options.scaleDurationMs,
          warmupMs: options.warmupMs,
          label: name,
          progress: log,
        });
      } catch (error) {
        record.scaleError = message(error);
        log.write(`  ${name} scale: failed: ${record.scaleError}\n`);
      }
      took('scale');
    }
    if (options.writeCost.length > 0) {
      try {
        const store = await session.scaleStore();
        record.writeCost = await measureWriteCost(store, {
          sizes: options.writeCost,
          label: name,
          progress: log,
        });
      } catch (error) {
        record.writeCostError = message(error);
        log.write(`  ${name} write cost: failed: ${record.writeCostError}\n`);
      }
      took('write cost');
    }
    if ((options.feed || options.cache) && session.feedStore !== undefined) {
      try {
        // shorter runs than a cell (c=1 only, four side-pairs per backend): the whole default run
        // stays within its 3 minutes
        const plan = {
          rounds: options.rounds,
          durationMs: Math.min(options.durationMs, 100),
          warmupMs: Math.min(options.warmupMs, 30),
        };
        const parts = { feed: options.feed, cache: options.cache };
        record.feedCache = await measureFeedCache(session, parts, plan, log);
      } catch (error) {
        record.feedCacheError = message(error);
        log.write(`  ${name} feed and cache: failed: ${record.feedCacheError}\n`);
      }
      took('feed and cache');
    }
  } catch (error) {
    record.error = message(error);
    log.write(`${name}: failed: ${record.error}\n`);
  } finally {
    await extras
      ?.close()
      .catch((error: unknown) => log.write(`${name}: closing peers failed: ${message(error)}\n`));
    await session.close().catch((error: unknown) => log.write(`${name}: close failed: ${message(error)}\n`));
  }
  record.seconds = (performance.now() - started) / 1000;
  return record;
}

/** Runs the benchmark described by `options`; progress and per-cell lines go to `log`. */
export async function runBench(options: BenchOptions, log: ProgressStream): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const backends: BackendRecord[] = [];
  for (const name of options.backends) backends.push(await runBackend(name, options, log));
  // The copy between backends needs both of them, and sizes to copy.
  const since = sectionTimer('', log);
  const copy =
    options.scale.length > 0 && options.backends.includes('redis') && options.backends.includes('postgres')
      ? await measureCopy(options.scale, log)
      : null;
  if (copy !== null) since('copy');
  const telemetry = options.telemetry ? await telemetryRecord(options, log) : null;
  if (telemetry !== null) since('telemetry');
  const cpus = os.cpus();
  return {
    startedAt,
    seconds: (performance.now() - started) / 1000,
    machine: {
      node: process.version,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      platform: `${os.platform()} ${os.release()}`,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
    },
    options,
    backends,
    targets: checkTargets(backends),
    copy,
    telemetry,
  };
}

/** The telemetry section, with twice a cell's rounds: the differences it looks for are small. */
async function telemetryRecord(options: BenchOptions, log: ProgressStream): Promise<TelemetryRecord> {
  try {
    const plan = {
      rounds: Math.max(options.rounds * 2, 3),
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
    };
    return { rows: await measureTelemetryOverhead(plan, log), error: null };
  } catch (error) {
    log.write(`telemetry: failed: ${message(error)}\n`);
    return { rows: [], error: message(error) };
  }
}
