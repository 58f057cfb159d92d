/** The command line of `pnpm bench`: flags, defaults, and the help text. */
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendName, OP_NAMES, type OpName } from './backends/types.js';
import { parseScale } from './scale.js';
import { parseWriteCost } from './write-cost.js';

/** A run, fully resolved. */
export interface BenchOptions {
  backends: BackendName[];
  ops: OpName[];
  concurrency: number[];
  rounds: number;
  /** Timed time per side per round. */
  durationMs: number;
  /** Untimed time per side before the first round. */
  warmupMs: number;
  /** Sizes the scale runs preload to, ascending; empty for none. */
  scale: number[];
  /** Time per scale query per size. */
  scaleDurationMs: number;
  /** Item counts of the tasks the write-cost section patches, ascending; empty for none. */
  writeCost: number[];
  /** Slots a namespace spreads over on Redis Cluster. */
  shards: number;
  quick: boolean;
  /**
   * Also measure the peer libraries of PEERS.md on create, load and update, in the same rounds,
   * and on Postgres taskvault and raw at the store's default pool size.
   */
  peers: boolean;
  /** Time the A2A task store's save and load against its baseline (default on; `--no-a2a`). */
  a2a: boolean;
  /** Time what OpenTelemetry reporting costs a memory store call (default on; `--no-telemetry`). */
  telemetry: boolean;
  /** Time create/update/patch with and without a change-feed watcher (default on; `--no-feed`). */
  feed: boolean;
  /** Time cache hits against the store's load, and the invalidation delay (default on; `--no-cache`). */
  cache: boolean;
  /** Where `<timestamp>.json` goes; null for nowhere. */
  resultsDir: string | null;
}

/**
 * Defaults sized so the whole default run fits in 3 minutes on a 2-core machine (about 2.5 min
 * measured, servers and the build included): a quick look at every cell. 150 ms per side is a few
 * hundred calls even for a PostgreSQL write, and ratios come from the same round, so drift cancels.
 */
export const DEFAULTS = {
  rounds: 3,
  durationMs: 150,
  warmupMs: 50,
  scaleDurationMs: 300,
  concurrency: [1, 32],
  shards: 8,
  scale: '10k',
  writeCost: '10,1k,20k',
} as const;

/**
 * What `--peers` changes unless given explicitly: the comparison the README carries, so more and
 * longer rounds than the default run (PEERS.md's figures are medians of 5 rounds).
 */
export const PEERS = { rounds: 5, durationMs: 250, warmupMs: 100 } as const;

/** What `--quick` changes: a few hundred ms per cell, for a CI smoke run. */
export const QUICK = { rounds: 1, durationMs: 60, warmupMs: 20, scaleDurationMs: 50 } as const;

export const HELP = `pnpm bench [-- options]

Times every taskvault store against its raw driver doing the same round trip, in the same run,
alternating A/B rounds, and how list/loadByRequestId/countActive/cleanup cost grows with size.
Servers are started on free ports for the run (packages/test-servers), never the machine's own.
The markdown report goes to stdout, progress to stderr, JSON to bench/results/<timestamp>.json.

Options:
  --backends LIST     comma-separated: ${BACKEND_NAMES.join(',')} (default: all)
  --ops LIST          comma-separated: ${OP_NAMES.join(',')} (default: all); none for scale only
  --concurrency LIST  closed-loop workers per cell (default: ${DEFAULTS.concurrency.join(',')})
  --scale SIZE        10k (default), 1m (= 10k then 1M), none, or a list such as 1k,10k,100k
  --rounds N          A/B rounds per cell; medians are reported (default: ${DEFAULTS.rounds};
                      ${PEERS.rounds} with --peers)
  --duration-ms N     timed ms per side per round (default: ${DEFAULTS.durationMs}; ${PEERS.durationMs} with --peers)
  --warmup-ms N       untimed ms per side before the first round (default: ${DEFAULTS.warmupMs};
                      ${PEERS.warmupMs} with --peers)
  --scale-duration-ms N  ms per query per size in the scale runs (default: ${DEFAULTS.scaleDurationMs})
  --write-cost SIZES  items in the tasks a 1-item and a 1,000-item patch are timed on
                      (default: ${DEFAULTS.writeCost}); none to skip
  --shards N          Redis Cluster shards of the namespace (default: ${DEFAULTS.shards})
  --peers             also time the libraries of PEERS.md (Keyv, @a2a-js/sdk, LangGraph, BullMQ)
                      on create/load/update in the same rounds, and on Postgres taskvault and raw
                      at the store's default pool of 10 next to the same pool; the reference run:
                      ${PEERS.rounds} rounds of ${PEERS.durationMs} ms per cell (about 9 minutes)
  --no-a2a            skip the A2A task store's save/load (against InMemoryTaskStore on memory,
                      the raw driver on Redis and PostgreSQL; about 20 s by default)
  --no-telemetry      skip what OpenTelemetry reporting costs a memory store call (off, API
                      without an SDK, SDK recording; about 20 s by default)
  --no-feed           skip the change feed's write cost (create/update/patch with no watcher vs
                      one watcher, per backend; a few seconds each)
  --no-cache          skip the cache's hit latency and invalidation delay (per backend)
  --quick             CI smoke: ${QUICK.rounds} round of ${QUICK.durationMs} ms, warm-up ${QUICK.warmupMs} ms
  --results-dir DIR   where the JSON goes (default: bench/results); --no-results to write none
  --help              this text
`;

/** The result of parsing: a run, or the help text. */
export type ParsedCommand = { help: true } | { help: false; options: BenchOptions };

function list<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${flag}: unknown ${JSON.stringify(item)}; expected some of ${allowed.join(',')}`);
    }
  }
  if (items.length === 0) throw new Error(`${flag}: give at least one of ${allowed.join(',')}`);
  return items as T[];
}

function positiveInt(flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${flag}: expected an integer >= ${min}, got ${value}`);
  return n;
}

/** Parses the command line. @throws Error naming the bad flag. */
export function parseOptions(argv: readonly string[], defaultResultsDir: string | null): ParsedCommand {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      backends: { type: 'string' },
      ops: { type: 'string' },
      concurrency: { type: 'string' },
      scale: { type: 'string' },
      rounds: { type: 'string' },
      'duration-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'scale-duration-ms': { type: 'string' },
      'write-cost': { type: 'string' },
      shards: { type: 'string' },
      quick: { type: 'boolean' },
      peers: { type: 'boolean' },
      'no-a2a': { type: 'boolean' },
      'no-telemetry': { type: 'boolean' },
      'no-feed': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      'results-dir': { type: 'string' },
      'no-results': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const quick = values.quick === true;
  const peers = values.peers === true;
  const base = quick ? QUICK : peers ? { ...DEFAULTS, ...PEERS } : DEFAULTS;
  const concurrency = values.concurrency
    ? values.concurrency.split(',').map((c) => positiveInt('--concurrency', c.trim(), 1))
    : [...DEFAULTS.concurrency];
  return {
    help: false,
    options: {
      backends: values.backends ? list('--backends', values.backends, BACKEND_NAMES) : [...BACKEND_NAMES],
      ops: values.ops === 'none' ? [] : values.ops ? list('--ops', values.ops, OP_NAMES) : [...OP_NAMES],
      concurrency,
      rounds: positiveInt('--rounds', values.rounds, base.rounds),
      durationMs: positiveInt('--duration-ms', values['duration-ms'], base.durationMs),
      warmupMs: positiveInt('--warmup-ms', values['warmup-ms'], base.warmupMs, 0),
      scale: parseScale(values.scale ?? DEFAULTS.scale),
      scaleDurationMs: positiveInt('--scale-duration-ms', values['scale-duration-ms'], base.scaleDurationMs),
      writeCost: parseWriteCost(values['write-cost'] ?? DEFAULTS.writeCost),
      shards: positiveInt('--shards', values.shards, DEFAULTS.shards),
      quick,
      peers,
      a2a: values['no-a2a'] !== true,
      telemetry: values['no-telemetry'] !== true,
      feed: values['no-feed'] !== true,
      cache: values['no-cache'] !== true,
      resultsDir: values['no-results'] ? null : (values['results-dir'] ?? defaultResultsDir),
    },
  };
}
