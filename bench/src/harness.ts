/**
 * The timing loop: closed-loop workers, latencies into an array, percentiles from it, and the
 * A/B alternation of a taskvault side with its raw baseline.
 */

/** One operation as a worker calls it: `worker` is 0..concurrency-1, `seq` counts calls of the run. */
export type OpFn = (worker: number, seq: number) => Promise<unknown>;

/** One side of a cell: the operation, and an untimed step that readies its fixtures. */
export interface Side {
  run: OpFn;
  /**
   * Runs untimed before each timed run (warm-up included), told how many calls the run will
   * likely make and at what concurrency, so a side can prepare fresh fixtures (patch targets).
   */
  prepare?(expectedOps: number, concurrency: number): Promise<void>;
}

/** A taskvault operation and the raw round trip it is compared with. */
export interface OpPair {
  taskvault: Side;
  raw: Side;
  /** What the raw side does, for the table (`GET`, `SELECT by pk`, ...). */
  rawLabel: string;
}

/** Latencies of one run, in ms, appended in call order. */
export class LatencyRecorder {
  #values = new Float64Array(4096);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
  }

  /** The latencies sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.#values.slice(0, this.#count).sort();
  }
}

/** The value below which `p` (0..1) of the sorted values lie (nearest rank); NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** The median of some numbers (mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** What one timed run measured. */
export interface RunResult {
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Runs `fn` from `concurrency` workers, each awaiting its call before starting the next (closed
 * loop), until `durationMs` passed, and at least `minOps` calls were made in total. Every call's
 * latency is taken with `performance.now()`. Throughput counts until the last worker finished.
 */
export async function timedRun(
  fn: OpFn,
  concurrency: number,
  durationMs: number,
  minOps = 1,
): Promise<RunResult> {
  const latencies = new LatencyRecorder();
  let seq = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (index: number): Promise<void> => {
    while (performance.now() < deadline || seq < minOps) {
      const call = seq++;
      const t0 = performance.now();
      await fn(index, call);
      latencies.record(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsedMs = performance.now() - started;
  const sorted = latencies.sorted();
  return {
    ops: latencies.count,
    elapsedMs,
    opsPerSec: (latencies.count / elapsedMs) * 1000,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

/** How long and how often a cell is measured. */
export interface CellPlan {
  concurrency: number;
  rounds: number;
  durationMs: number;
  warmupMs: number;
}

/** One side's figures over the rounds. */
export interface SideResult {
  /** Medians over the rounds. */
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rounds: RunResult[];
}

/** A cell: one operation at one concurrency, both sides. */
export interface CellResult {
  taskvault: SideResult;
  raw: SideResult;
  /** Median over rounds of (taskvault ops/s / raw ops/s) of the same round. */
  ratio: number;
}

type GcFunction = (options?: { type?: 'major' | 'minor' }) => void;
const exposedGc = (globalThis as { gc?: GcFunction }).gc;

/**
 * Collects garbage when node runs with --expose-gc (the bench script does), else does nothing.
 * A full collection before each cell; a young-generation one before each run, so neither side
 * pays for the short-lived garbage the other left (a full one per run would cost seconds).
 */
export function collectGarbage(type: 'major' | 'minor'): void {
  exposedGc?.({ type });
}

async function runSide(side: Side, plan: CellPlan, durationMs: number, expectedOps: number) {
  await side.prepare?.(Math.ceil(expectedOps * 1.5) + plan.concurrency * 4, plan.concurrency);
  collectGarbage('minor');
  return timedRun(side.run, plan.concurrency, durationMs, plan.concurrency);
}

function summarize(rounds: RunResult[]): SideResult {
  return {
    opsPerSec: median(rounds.map((r) => r.opsPerSec)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    rounds,
  };
}

/** The median over rounds of (a's ops/s ÷ b's ops/s) of the same round: each run paired with its neighbour. */
export function pairedRatio(a: SideResult, b: SideResult): number {
  const ratios = a.rounds.map((run, i) => run.opsPerSec / (b.rounds[i]?.opsPerSec ?? Number.NaN));
  return median(ratios);
}

/**
 * Measures several sides of one cell in the same rounds: one warm-up of each, then `rounds`
 * rounds in which every side runs once, in the order given (A/B/C/A/B/C...), so drift in the
 * machine hits all of them alike. Compare two of them with `pairedRatio`. With `rotate`, round r
 * starts at side r (A/B/C, B/C/A, C/A/B...): a side's place in the round then changes too, so
 * what one side leaves behind (garbage, a timer) does not always fall on the same neighbour —
 * measured: two identical sides, one always right after the other, differed by up to 10 %.
 */
export async function measureSides(
  sides: readonly Side[],
  plan: CellPlan,
  { rotate = false }: { rotate?: boolean } = {},
): Promise<SideResult[]> {
  collectGarbage('major');
  const expected = sides.map(() => 1000);
  if (plan.warmupMs > 0) {
    for (const [i, side] of sides.entries()) {
      const warm = await runSide(side, plan, plan.warmupMs, expected[i]!);
      expected[i] = (warm.opsPerSec * plan.durationMs) / 1000;
    }
  }
  const rounds: RunResult[][] = sides.map(() => []);
  for (let round = 0; round < plan.rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = rotate ? (round + k) % sides.length : k;
      const side = sides[i]!;
      const run = await runSide(side, plan, plan.durationMs, expected[i]!);
      expected[i] = run.ops;
      rounds[i]!.push(run);
    }
  }
  return rounds.map(summarize);
}

/**
 * Measures a pair: taskvault followed by raw in every round (A/B/A/B...). The ratio is taken per
 * round and its median reported, which pairs each taskvault run with the raw run right after it.
 */
export async function measurePair(pair: OpPair, plan: CellPlan): Promise<CellResult> {
  const [taskvault, raw] = (await measureSides([pair.taskvault, pair.raw], plan)) as [SideResult, SideResult];
  return { taskvault, raw, ratio: pairedRatio(taskvault, raw) };
}

/** Runs `count` calls of `fn` from `concurrency` workers (for preloading fixtures), reporting progress. */
export async function runMany(
  count: number,
  concurrency: number,
  fn: (index: number) => Promise<unknown>,
  onProgress?: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await fn(index);
      done++;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, count)) }, worker));
}
