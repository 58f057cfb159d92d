/**
 * The change feed and the cache (issue 16), per backend:
 * - the feed's write cost: create / update / patch at c=1 with no watcher and with one watcher
 *   (another store on the namespace, draining `watch()`), the two sides alternating in the same
 *   rounds;
 * - the cache's hit latency: `load` on a `withCache` store that holds the task, against `load`
 *   on the inner store, alternating in the same rounds;
 * - the invalidation delay: a patch on store A until a cached store B (same backend, its own
 *   client) serves the new version, B's `load` polled in a tight loop (setImmediate apart).
 */
import { withCache } from '@taskvault/cache';
import type { AgentTask, TaskStore } from '@taskvault/core';
import type { BackendSession } from './backends/types.js';
import { newTaskDocument } from './document.js';
import { type CellPlan, measureSides, percentile, type Side, type SideResult } from './harness.js';
import { formatOps, table } from './markdown.js';
import type { ProgressStream } from './progress.js';

const WRITE_OPS = ['create', 'update', 'patch'] as const;
type WriteOp = (typeof WRITE_OPS)[number];
/** Invalidation delay samples per backend. */
const DELAY_SAMPLES = 40;

/** p50/p99 and ops/s of one side, medians over the rounds. */
export interface SideFigures {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface FeedCacheRecord {
  /** The feed's write cost per op: no watcher vs one watcher; empty with `--no-feed`. */
  writes: { op: WriteOp; none: SideFigures; watched: SideFigures }[];
  /** `load`: the inner store vs a cache hit; null with `--no-cache`. */
  hit: { inner: SideFigures; cached: SideFigures } | null;
  /** Write on A to B's cache serving it, ms; null with `--no-cache`. */
  delay: { p50Ms: number; p99Ms: number; maxMs: number; samples: number } | null;
}

function figures(result: SideResult): SideFigures {
  return { opsPerSec: result.opsPerSec, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

/** A watcher on its own store, draining the namespace's feed until stopped. */
class Watcher {
  #stop: AbortController | null = null;
  #done: Promise<void> = Promise.resolve();
  constructor(readonly store: TaskStore) {}

  async start(): Promise<void> {
    if (this.#stop !== null) return;
    const stop = new AbortController();
    this.#stop = stop;
    const stream = this.store.watch(undefined, { signal: stop.signal });
    await stream.ready;
    this.#done = (async () => {
      for await (const _ of stream) {
        // drained: what a watcher costs the writer is the feed's, not the consumer's
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop?.abort();
    this.#stop = null;
    await this.#done;
  }
}

async function writeCost(
  writer: TaskStore,
  watcher: Watcher,
  plan: Omit<CellPlan, 'concurrency'>,
  log: ProgressStream,
  label: string,
): Promise<FeedCacheRecord['writes']> {
  const rows: FeedCacheRecord['writes'] = [];
  let created = 0;
  for (const op of WRITE_OPS) {
    const pool: AgentTask[] = [];
    for (let i = 0; i < 64; i++) pool.push(await writer.create(newTaskDocument(`${op}-${created++}`)));
    const run = async (_w: number, seq: number) => {
      if (op === 'create') return writer.create(newTaskDocument(`c-${created++}`));
      const slot = seq % pool.length;
      if (op === 'update') pool[slot] = await writer.update(pool[slot]!);
      else pool[slot] = await writer.patch(pool[slot]!.taskId, { data: { step: seq } });
      return pool[slot];
    };
    const sides: Side[] = [
      { prepare: () => watcher.stop(), run },
      { prepare: () => watcher.start(), run },
    ];
    const [none, watched] = await measureSides(sides, { ...plan, concurrency: 1 });
    await watcher.stop();
    rows.push({ op, none: figures(none!), watched: figures(watched!) });
    log.write(
      `  ${label} feed ${op}: ${formatOps(none!.opsPerSec)} -> ${formatOps(watched!.opsPerSec)} ops/s with a watcher\n`,
    );
  }
  return rows;
}

async function hitLatency(
  inner: TaskStore,
  cached: TaskStore,
  plan: Omit<CellPlan, 'concurrency'>,
): Promise<NonNullable<FeedCacheRecord['hit']>> {
  const ids: string[] = [];
  for (let i = 0; i < 64; i++) ids.push((await cached.create(newTaskDocument(`hit-${i}`))).taskId);
  for (const id of ids) await cached.load(id);
  const side = (store: TaskStore): Side => ({ run: (_w, seq) => store.load(ids[seq % ids.length]!) });
  const [plain, hit] = await measureSides([side(inner), side(cached)], { ...plan, concurrency: 1 });
  return { inner: figures(plain!), cached: figures(hit!) };
}

async function invalidationDelay(
  writer: TaskStore,
  cached: TaskStore,
): Promise<NonNullable<FeedCacheRecord['delay']>> {
  let current = await writer.create(newTaskDocument('delay'));
  const delays = new Float64Array(DELAY_SAMPLES);
  for (let i = 0; i < DELAY_SAMPLES; i++) {
    // held first, so what is timed is the invalidation, not a cold read
    while ((await cached.load(current.taskId))?.version !== current.version) await immediate();
    current = await writer.patch(current.taskId, { data: { step: i } });
    const written = performance.now();
    const deadline = written + 10_000;
    while ((await cached.load(current.taskId))?.version !== current.version) {
      if (performance.now() > deadline) throw new Error('the cached store did not see a write within 10 s');
      await immediate();
    }
    delays[i] = performance.now() - written;
  }
  const sorted = delays.sort();
  return {
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1]!,
    samples: DELAY_SAMPLES,
  };
}

function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs the section on one backend; `feed` and `cache` say which parts. */
export async function measureFeedCache(
  session: BackendSession,
  parts: { feed: boolean; cache: boolean },
  plan: Omit<CellPlan, 'concurrency'>,
  log: ProgressStream,
): Promise<FeedCacheRecord> {
  const open = session.feedStore;
  if (open === undefined) throw new Error('this backend has no feed store');
  const namespace = `bench-feed-${Date.now()}`;
  const writer = await open(namespace);
  const record: FeedCacheRecord = { writes: [], hit: null, delay: null };
  if (parts.feed)
    record.writes = await writeCost(writer, new Watcher(await open(namespace)), plan, log, session.name);
  if (parts.cache) {
    const cached = withCache(await open(namespace));
    const deadline = Date.now() + 10_000;
    while (cached.state !== 'live') {
      if (Date.now() > deadline) throw new Error(`the cache did not go live (${cached.state})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    try {
      record.hit = await hitLatency(writer, cached, plan);
      record.delay = await invalidationDelay(writer, cached);
      log.write(
        `  ${session.name} cache: hit p50 ${ms(record.hit.cached.p50Ms)} vs load ${ms(record.hit.inner.p50Ms)}; ` +
          `invalidation p50 ${ms(record.delay.p50Ms)}, p99 ${ms(record.delay.p99Ms)}\n`,
      );
    } finally {
      await cached.close();
    }
  }
  return record;
}

/** A latency given in ms, printed in µs below 1 ms (a hit takes about one). */
const ms = (value: number) => (value < 1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toFixed(2)} ms`);

/** The markdown section over every backend that ran it; null when none did. */
export function feedCacheSection(
  backends: readonly { name: string; feedCache: FeedCacheRecord | null; feedCacheError: string | null }[],
): string | null {
  const ran = backends.filter((b) => b.feedCache !== null || b.feedCacheError !== null);
  if (ran.length === 0) return null;
  const parts = [
    '### Change feed and cache',
    '',
    'Feed write cost: c=1, the same rounds alternating with no watcher and with one watcher (another',
    'store on the namespace draining `watch()`); medians over rounds. Cache: `load` of a held task',
    'on a `withCache` store vs `load` on the inner store, same rounds. Invalidation delay: a patch',
    "on store A until cached store B (its own client) serves the new version, polling B's `load`.",
  ];
  const writes = ran.flatMap((b) =>
    (b.feedCache?.writes ?? []).map((w) => [
      b.name,
      w.op,
      formatOps(w.none.opsPerSec),
      formatOps(w.watched.opsPerSec),
      `${ms(w.none.p50Ms)} / ${ms(w.none.p99Ms)}`,
      `${ms(w.watched.p50Ms)} / ${ms(w.watched.p99Ms)}`,
    ]),
  );
  if (writes.length > 0)
    parts.push(
      '',
      table(
        ['backend', 'op', 'ops/s, no watcher', 'ops/s, one watcher', 'p50 / p99, none', 'p50 / p99, watcher'],
        writes,
      ),
    );
  const cache = ran
    .filter((b) => b.feedCache?.hit != null)
    .map((b) => {
      const { hit, delay } = b.feedCache!;
      return [
        b.name,
        `${ms(hit!.inner.p50Ms)} / ${ms(hit!.inner.p99Ms)}`,
        `${ms(hit!.cached.p50Ms)} / ${ms(hit!.cached.p99Ms)}`,
        delay === null
          ? '—'
          : `${ms(delay.p50Ms)} / ${ms(delay.p99Ms)} (max ${ms(delay.maxMs)}, n=${delay.samples})`,
      ];
    });
  if (cache.length > 0)
    parts.push(
      '',
      table(['backend', 'load p50 / p99', 'cache hit p50 / p99', 'invalidation delay p50 / p99'], cache),
    );
  for (const b of ran) if (b.feedCacheError !== null) parts.push('', `${b.name}: error: ${b.feedCacheError}`);
  return parts.join('\n');
}
