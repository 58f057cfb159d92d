/**
 * What a write costs on a big task. SPEC ("Faults") allows a write at most linear cost in the
 * task's size plus the change × log n; a script, statement or trigger that searches the whole item
 * list once per new request id turns an append of k items onto n into k × n. This section times
 * `patch(id, { appendItems })` of 1 and of 1,000 items, each with a new request id, onto tasks of
 * 10 / 1,000 / 20,000 items that each carry their own request id, through the `TaskStore`
 * interface only, so every backend (and any added later) is measured by the same code.
 */
import type { TaskItem, TaskStore } from '@taskvault/core';
import { collectGarbage } from './harness.js';
import { createProgress, type ProgressStream } from './progress.js';
import { formatSize } from './scale.js';

/** Items in the tasks the default run patches. */
export const WRITE_COST_SIZES = [10, 1_000, 20_000] as const;
/** Items one patch appends. */
export const WRITE_COST_CHANGES = [1, 1_000] as const;
/**
 * How far over the linear bound a growth factor may be before it is flagged: timings of a few
 * calls wobble, a quadratic path is off by orders of magnitude.
 */
export const LINEAR_SLACK = 2;

/** Timed patches per point: one-item patches share a task, each 1,000-item patch gets a fresh one. */
const REPEATS: Record<number, number> = { 1: 5, 1000: 3 };

/** One patch size on one task size. */
export interface WriteCostPoint {
  /** Items in the task before the patch. */
  size: number;
  /** Items the patch appends. */
  change: number;
  /**
   * The fastest of the timed patches; null when they failed. The work is the same every time, so
   * the fastest is the one least disturbed by the rest of the machine (a median still carries a
   * shared machine's noise into the difference the per-item row takes).
   */
  ms: number | null;
  /** Every timed patch, ms. */
  runs: number[];
  error: string | null;
}

/**
 * One row of the table: a figure at every task size, and how it grew from the smallest size to
 * the largest against the most a write within SPEC's cost rule may grow.
 */
export interface WriteCostRow {
  /** `patch +1 item (ms)`. */
  label: string;
  /** By task size, ascending; null where the patch failed. */
  values: Array<number | null>;
  /** Largest over smallest; null when either is missing. */
  factor: number | null;
  /** The growth a cost linear in the task's size plus the change × log n allows. */
  bound: number;
  /** True when `factor` exceeds `bound × LINEAR_SLACK`. */
  worseThanLinear: boolean | null;
}

/** How the write-cost section runs. */
export interface WriteCostPlan {
  sizes: readonly number[];
  label: string;
  progress: ProgressStream;
}

const CREATED_AT = new Date(Date.UTC(2025, 0, 15, 9, 30, 0));

/** `count` small items (~120 bytes stored), each under its own request id. */
function items(prefix: string, count: number): TaskItem[] {
  return Array.from({ length: count }, (_, i) => ({
    requestId: `${prefix}:${i}`,
    role: 'tool' as const,
    content: { type: 'tool_result', seq: i, ok: true },
    createdAt: CREATED_AT,
  }));
}

async function freshTask(store: TaskStore, taskId: string, size: number): Promise<void> {
  await store.create({
    taskId,
    status: 'running',
    data: { bench: 'write-cost' },
    items: items(taskId, size),
  });
}

async function timedPatch(store: TaskStore, taskId: string, tag: string, change: number): Promise<number> {
  const append = items(`${taskId}:${tag}`, change);
  // a full collection first, untimed: creating a 20k-item task just before leaves megabytes of
  // garbage, and a patch that happened to pay for collecting it read 3× slower in one run
  collectGarbage('major');
  const t0 = performance.now();
  await store.patch(taskId, { appendItems: append });
  return performance.now() - t0;
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Times the patches on `store` (an empty namespace or one whose task ids do not start with
 * `wc-`). A point whose create or patch fails is recorded with its error and the rest still run.
 */
export async function measureWriteCost(store: TaskStore, plan: WriteCostPlan): Promise<WriteCostPoint[]> {
  // The first patches of a store pay for loading scripts, preparing statements and the JIT.
  await freshTask(store, 'wc-warm', 10);
  for (let i = 0; i < 5; i++) await timedPatch(store, 'wc-warm', `w${i}`, 10);
  await timedPatch(store, 'wc-warm', 'w-many', MANY);

  const total = WRITE_COST_CHANGES.length * plan.sizes.length;
  const progress = createProgress(`${plan.label} write cost`, total, plan.progress);
  const points: WriteCostPoint[] = [];
  for (const change of WRITE_COST_CHANGES) {
    for (const size of plan.sizes) {
      const runs: number[] = [];
      let error: string | null = null;
      try {
        const repeats = REPEATS[change] ?? 3;
        const shared = change === 1;
        const base = `wc-${change}-${size}`;
        if (shared) await freshTask(store, base, size);
        for (let r = 0; r < repeats; r++) {
          const taskId = shared ? base : `${base}-${r}`;
          if (!shared) await freshTask(store, taskId, size);
          runs.push(await timedPatch(store, taskId, `p${r}`, change));
        }
      } catch (e) {
        error = message(e);
        plan.progress.write(`  ${plan.label} patch +${change} on ${formatSize(size)}: failed: ${error}\n`);
      }
      points.push({ size, change, ms: error === null ? Math.min(...runs) : null, runs, error });
      progress.update(points.length);
    }
  }
  progress.finish();
  return points;
}

const [ONE, MANY] = WRITE_COST_CHANGES;

/**
 * The rows of the table: the time of each patch size, and the cost per appended item,
 * (time of +1,000 − time of +1) / 999. A patch may cost linear in the task (the document is
 * rewritten), so the first two rows may grow like (n + change); the cost per appended item may
 * only grow like log n. A search of the whole task per new request id shows up there as
 * growth like n.
 */
export function writeCostRows(points: readonly WriteCostPoint[], sizes: readonly number[]): WriteCostRow[] {
  const at = (change: number, size: number) =>
    points.find((p) => p.change === change && p.size === size)?.ms ?? null;
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  if (first === undefined || last === undefined) return [];
  const row = (label: string, values: Array<number | null>, bound: number): WriteCostRow => {
    const a = values[0] ?? null;
    const b = values[values.length - 1] ?? null;
    const factor = a !== null && b !== null && a > 0 && sizes.length > 1 ? b / a : null;
    return {
      label,
      values,
      factor,
      bound,
      worseThanLinear: factor === null ? null : factor > bound * LINEAR_SLACK,
    };
  };
  const perItem = sizes.map((size) => {
    const one = at(ONE, size);
    const many = at(MANY, size);
    // Timing noise can make the difference negative on a store whose append is nearly free.
    return one === null || many === null ? null : Math.max(0, ((many - one) * 1000) / (MANY - ONE));
  });
  const log = (n: number) => Math.log2(n + 2);
  return [
    row(
      `patch +${ONE} item (ms)`,
      sizes.map((s) => at(ONE, s)),
      (last + ONE) / (first + ONE),
    ),
    row(
      `patch +${MANY.toLocaleString('en-US')} items (ms)`,
      sizes.map((s) => at(MANY, s)),
      (last + MANY) / (first + MANY),
    ),
    row('per appended item (µs)', perItem, log(last) / log(first)),
  ];
}

/** Parses `--write-cost`: `none` -> []; `10,1k,20k` as given (ascending, at least 1 item each). */
export function parseWriteCost(value: string): number[] {
  const text = value.trim().toLowerCase();
  if (text === 'none' || text === '0') return [];
  const sizes = text.split(',').map((part) => {
    const m = /^(\d+)(k?)$/.exec(part.trim());
    const n = m ? Number(m[1]) * (m[2] === 'k' ? 1000 : 1) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new Error(
        `--write-cost: expected task sizes such as 10,1k,20k or none, got ${JSON.stringify(part)}`,
      );
    }
    return n;
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}
