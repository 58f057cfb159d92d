/**
 * The background sweeper (SPEC "Retention"): one per namespace across every process sharing a
 * store. Each store runs a timer; on a tick it asks the backend for the namespace's sweep lease
 * (taken, or renewed when it already holds it) and, only when it holds it, deletes what expired
 * or outlived its retention in bounded batches. Each batch carries the lease's fencing token and
 * the backend refuses a batch whose token is no longer the lease's, so a holder that stalled past
 * its lease (frozen, swapped out) cannot sweep beside its successor. A holder that dies is
 * replaced once its lease runs out; a store that closes gives its lease up at once.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { taskStoreError } from './errors.js';

/** What the sweeper and `cleanup` report after each batch, and once more when they finish. */
export interface SweepEvent {
  /** `'sweeper'`: the background sweeper of the lease holder; `'cleanup'`: a caller's `cleanup`. */
  source: 'sweeper' | 'cleanup';
  backend: string;
  namespace: string;
  /** Tasks this batch removed (0 on the closing report). */
  removed: number;
  /** Batches so far in this sweep or cleanup, from 1. */
  batch: number;
  /** Tasks removed so far in this sweep or cleanup. */
  total: number;
  /** Milliseconds since the sweep or cleanup started. */
  elapsedMs: number;
  /** True on the last report of the sweep or cleanup. */
  done: boolean;
}

/** How the background sweeper runs; see {@link SweepOption}. */
export interface SweepSettings {
  /** Time between sweeps, ms. Default 60 000. */
  intervalMs?: number;
  /**
   * How long a lease lasts unless renewed, ms: a dead holder is replaced this long after its last
   * renewal at most. Default three intervals (at least 1 s); it must exceed the interval.
   */
  leaseMs?: number;
  /** Tasks per delete batch (each one short server-side step). Default 1000, at most 10 000. */
  batchSize?: number;
  /** Batches one sweep runs at most; the next tick goes on. Default 100. */
  maxBatches?: number;
}

/**
 * The store option `sweep`: `true` or settings to run the background sweeper, `false` to leave
 * removal to `cleanup`. Default: on when the store has a retention policy or a default TTL (and,
 * on the SQL backends, always: their counts subtract expired rows, which must stay few).
 */
export type SweepOption = boolean | SweepSettings;

/** Sweeper settings with defaults filled in. */
export interface NormalizedSweep {
  intervalMs: number;
  leaseMs: number;
  batchSize: number;
  maxBatches: number;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
export const DEFAULT_SWEEP_BATCH = 1000;
export const MAX_SWEEP_BATCH = 10_000;
export const DEFAULT_SWEEP_MAX_BATCHES = 100;

/**
 * The `sweep` option of a backend that also takes the older `sweepIntervalMs` (which the backend
 * checks): `sweep` when given, else off for 0, else on at that interval — on by default, as the
 * SQL backends need (their counts subtract expired rows, which must stay few).
 */
export function sweepWithInterval(sweep: SweepOption | undefined, intervalMs: number): SweepOption {
  if (sweep !== undefined) return sweep;
  return intervalMs === 0 ? false : { intervalMs };
}

function sweepInvalid(path: string, detail: string): never {
  throw taskStoreError('config', 'CONFIG_INVALID', { path, detail });
}

function positiveInt(path: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max)
    sweepInvalid(path, `must be an integer from 1 to ${max}`);
  return value as number;
}

/**
 * Checks the `sweep` option; null when no sweeper runs.
 * @throws TaskStoreConfigError CONFIG_INVALID naming `sweep` or `sweep.<setting>`.
 */
export function checkSweep(value: unknown, defaultOn: boolean): NormalizedSweep | null {
  if (value === undefined) value = defaultOn;
  if (value === false) return null;
  const settings: SweepSettings = value === true ? {} : (value as SweepSettings);
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
    sweepInvalid('sweep', 'must be true, false, or { intervalMs?, leaseMs?, batchSize?, maxBatches? }');
  for (const key of Object.keys(settings)) {
    if (!['intervalMs', 'leaseMs', 'batchSize', 'maxBatches'].includes(key))
      sweepInvalid(`sweep.${key}`, 'is not a sweep setting (intervalMs, leaseMs, batchSize, maxBatches)');
  }
  const intervalMs = positiveInt(
    'sweep.intervalMs',
    settings.intervalMs,
    DEFAULT_SWEEP_INTERVAL_MS,
    2 ** 31 - 1,
  );
  const leaseMs = positiveInt('sweep.leaseMs', settings.leaseMs, Math.max(3 * intervalMs, 1000), 2 ** 31 - 1);
  if (leaseMs <= intervalMs)
    sweepInvalid(
      'sweep.leaseMs',
      `must exceed sweep.intervalMs (${intervalMs}), or the holder loses it between sweeps`,
    );
  return {
    intervalMs,
    leaseMs,
    batchSize: positiveInt('sweep.batchSize', settings.batchSize, DEFAULT_SWEEP_BATCH, MAX_SWEEP_BATCH),
    maxBatches: positiveInt('sweep.maxBatches', settings.maxBatches, DEFAULT_SWEEP_MAX_BATCHES),
  };
}

/** A sweep event before the store names itself in it (backend, namespace). */
export type SweepProgress = Omit<SweepEvent, 'backend' | 'namespace'>;

/** What the sweeper asks of its store (the lease and batch hooks of `TaskStoreBase`). */
export interface SweepTarget {
  /** Takes or renews the lease for `holder`; its fencing token, or null while another holds it. */
  acquire(holder: string, leaseMs: number): Promise<number | null>;
  /** Deletes up to `limit` dead tasks under `token`; how many, or null when the lease was lost. */
  sweepBatch(holder: string, token: number, limit: number): Promise<number | null>;
  /** Gives the lease up. */
  release(holder: string, token: number): Promise<void>;
  /** Hears of each batch (onSweep, metrics); the store adds its backend and namespace. */
  report(progress: SweepProgress): void;
}

/** The last sweep, for health pages and the demo. */
export interface SweepStatus {
  /** This store's holder id in the lease. */
  holder: string;
  /** True while this store holds the namespace's sweep lease. */
  holdsLease: boolean;
  /** When the last sweep of this store finished, or null. */
  lastSweepAt: Date | null;
  /** Tasks the last sweep removed. */
  lastRemoved: number;
  /** Why the last tick failed (server down...), or null after one that worked. */
  lastError: string | null;
}

/** The timer and lease bookkeeping of one store's sweeper. */
export class Sweeper {
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #settings: NormalizedSweep;
  readonly #target: SweepTarget;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #token: number | null = null;
  #renewedAt = 0;
  #stopped = false;
  #status: SweepStatus;

  constructor(settings: NormalizedSweep, target: SweepTarget) {
    this.#settings = settings;
    this.#target = target;
    this.#status = {
      holder: this.holder,
      holdsLease: false,
      lastSweepAt: null,
      lastRemoved: 0,
      lastError: null,
    };
    this.#schedule(settings.intervalMs);
  }

  get status(): SweepStatus {
    return { ...this.#status, holdsLease: this.#token !== null };
  }

  /** Runs one sweep now (when this store holds or can take the lease); resolves when it ended. */
  sweepNow(): Promise<void> {
    this.#running ??= this.#tick().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Stops the timer, waits for a sweep in progress and gives the lease up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    const token = this.#token;
    this.#token = null;
    if (token !== null) await this.#target.release(this.holder, token).catch(() => {});
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    // a little jitter, so processes started together do not all ask for the lease at once
    const jitter = Math.floor(Math.random() * Math.min(delayMs / 10, 1000));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.sweepNow().finally(() => this.#schedule(this.#settings.intervalMs));
    }, delayMs + jitter);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const started = performance.now();
    let total = 0;
    let batch = 0;
    try {
      if (!(await this.#renew())) return;
      const { batchSize, maxBatches, leaseMs } = this.#settings;
      let done = false;
      while (!done && !this.#stopped) {
        // renew well before the lease could run out under a long sweep
        if (Date.now() - this.#renewedAt > leaseMs / 3 && !(await this.#renew())) break;
        const removed = await this.#target.sweepBatch(this.holder, this.#token!, batchSize);
        if (removed === null) {
          this.#token = null; // another process took the lease over: it sweeps now
          break;
        }
        batch++;
        total += removed;
        done = removed < batchSize || batch >= maxBatches;
        this.#report(removed, batch, total, started, done);
      }
      if (!done && batch > 0) this.#report(0, batch, total, started, true);
      this.#status = { ...this.#status, lastSweepAt: new Date(), lastRemoved: total, lastError: null };
    } catch (error) {
      this.#token = null;
      this.#status = {
        ...this.#status,
        lastError:
          error instanceof Error
            ? `${(error as { code?: string }).code ?? error.name}: ${error.message}`
            : String(error),
      };
    }
  }

  /** Takes or renews the lease; false when another holder has it. */
  async #renew(): Promise<boolean> {
    const token = await this.#target.acquire(this.holder, this.#settings.leaseMs);
    this.#token = token;
    if (token === null) return false;
    this.#renewedAt = Date.now();
    return true;
  }

  #report(removed: number, batch: number, total: number, started: number, done: boolean): void {
    this.#target.report({
      source: 'sweeper',
      removed,
      batch,
      total,
      elapsedMs: Math.round(performance.now() - started),
      done,
    });
  }
}
