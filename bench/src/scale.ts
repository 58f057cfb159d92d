/**
 * How cost grows with size: preload a store to each size through its own `create` (so its indexes
 * are built the way they are in use), then time a list page, loadByRequestId and countActive at
 * concurrency 1, and a cleanup that removes the oldest 10% of the tasks.
 */
import type { TaskStore } from '@taskvault/core';
import { LIST_STATUS, newTaskDocument, requestIdsOf, statusFor } from './document.js';
import { runMany, timedRun } from './harness.js';
import { createProgress, type ProgressStream } from './progress.js';

/** Workers creating tasks while preloading. */
export const PRELOAD_CONCURRENCY = 64;

/** The scale query names, in table order. */
export const SCALE_QUERIES = ['list', 'loadByRequestId', 'countActive'] as const;
export type ScaleQuery = (typeof SCALE_QUERIES)[number];

/** Latencies of one query at one size, ms. */
export interface QueryLatency {
  p50Ms: number;
  p99Ms: number;
  ops: number;
}

/** Everything measured at one size. */
export interface ScalePoint {
  size: number;
  /** Tasks created to reach this size, and how fast. */
  preloaded: number;
  preloadSeconds: number;
  queries: { [Q in ScaleQuery]: QueryLatency };
  cleanup: { ms: number; removed: number; expected: number };
}

/** How the scale runs are measured. */
export interface ScalePlan {
  sizes: number[];
  /** Time per query per size. */
  durationMs: number;
  /** Untimed calls of each query before it is timed, in ms. */
  warmupMs: number;
  label: string;
  progress: ProgressStream;
}

function taskId(index: number): string {
  return `s-${index}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs the scale plan on an empty store. Tasks are created oldest first; the oldest tenth at
 * each size is created before a cutoff instant and the rest after it, so `cleanup` with that
 * cutoff removes exactly 10%.
 */
export async function measureScale(store: TaskStore, plan: ScalePlan): Promise<ScalePoint[]> {
  const points: ScalePoint[] = [];
  let next = 0; // ids 0..next-1 were created
  let aliveFrom = 0; // ids below this were cleaned up
  for (const size of plan.sizes) {
    const want = size - (next - aliveFrom);
    const oldest = Math.max(0, Math.ceil(size / 10) - (next - aliveFrom));
    const progress = createProgress(
      `${plan.label} preload to ${formatSize(size)}`,
      Math.max(0, want),
      plan.progress,
    );
    const started = performance.now();
    const create = (offset: number) => (i: number) => {
      const index = offset + i;
      return store.create(newTaskDocument(taskId(index), statusFor(index), index));
    };
    const first = next;
    await runMany(oldest, PRELOAD_CONCURRENCY, create(first), (done) => progress.update(done));
    next += oldest;
    // Timestamps are in ms: a gap on each side of the cutoff keeps it strictly between the two groups.
    await sleep(5);
    const cutoff = new Date();
    await sleep(5);
    const rest = Math.max(0, want - oldest);
    await runMany(rest, PRELOAD_CONCURRENCY, create(next), (done) => progress.update(oldest + done));
    next += rest;
    progress.finish();
    const preloadSeconds = (performance.now() - started) / 1000;

    const alive = next - aliveFrom;
    const lo = aliveFrom;
    // Each query is warmed up first (the first calls at the smallest size would otherwise
    // measure the JIT, not the store), then timed.
    const time = async (fn: (seq: number) => Promise<unknown>): Promise<QueryLatency> => {
      const run = (_w: number, seq: number) => fn(seq);
      if (plan.warmupMs > 0) await timedRun(run, 1, plan.warmupMs, 5);
      const r = await timedRun(run, 1, plan.durationMs, 20);
      return { p50Ms: r.p50Ms, p99Ms: r.p99Ms, ops: r.ops };
    };
    const queries = {
      list: await time(async () => {
        const page = await store.list({ status: LIST_STATUS, limit: 50 });
        if (page.tasks.length !== 50)
          throw new Error(`scale list: expected 50 tasks, got ${page.tasks.length}`);
      }),
      loadByRequestId: await time(async (seq) => {
        const index = lo + pseudoRandom(seq, alive);
        const task = await store.loadByRequestId(requestIdsOf(taskId(index))[seq % 2]!);
        if (task === null) throw new Error(`scale loadByRequestId: ${taskId(index)} not found`);
      }),
      countActive: await time(() => store.countActive()),
    };

    const expected = Math.max(0, first + oldest - aliveFrom);
    const t0 = performance.now();
    const removed = await store.cleanup({ olderThan: cutoff, includeActive: true });
    const cleanupMs = performance.now() - t0;
    aliveFrom = first + oldest;
    points.push({
      size,
      preloaded: want,
      preloadSeconds,
      queries,
      cleanup: { ms: cleanupMs, removed, expected },
    });
  }
  return points;
}

/** A scattered index in 0..size-1 (multiplicative hash, so lookups do not walk in id order). */
function pseudoRandom(seq: number, size: number): number {
  return Number((BigInt(seq) * 2654435761n) % BigInt(size));
}

/** Parses `--scale`: `10k` -> [10k]; `1m` -> [10k, 1M]; `none` -> []; `1k,10k,100k` as given. */
export function parseScale(value: string): number[] {
  const text = value.trim().toLowerCase();
  if (text === 'none' || text === '0') return [];
  const parts = text.split(',').map(parseSize);
  if (parts.length > 1) return parts;
  const only = parts[0]!;
  return only > 10_000 ? [10_000, only] : [only];
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/.exec(text.trim());
  if (!m) throw new Error(`--scale: expected a size such as 10k or 1m, got ${JSON.stringify(text)}`);
  const n = Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'm' ? 1e6 : 1);
  if (!Number.isInteger(n) || n < 100)
    throw new Error(`--scale: a size must be a whole number >= 100, got ${text}`);
  return n;
}

/** `10k`, `1M`. */
export function formatSize(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}
