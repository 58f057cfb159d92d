/**
 * What the demo shows of retention: the policy it runs with and the last sweep of its store —
 * the background sweeper's (when this process holds the namespace's lease) or a `cleanup`'s —
 * heard through the store's `onSweep` hook, and logged.
 */
import type { SweepEvent } from '@taskvault/core';
import type { FastifyBaseLogger } from 'fastify';

/** The last finished sweep, as `/healthz` reports it. */
export interface LastSweep {
  source: SweepEvent['source'];
  /** ISO time it finished. */
  at: string;
  removed: number;
  batches: number;
  elapsedMs: number;
}

/** Retention as `/healthz` and the page show it. */
export interface RetentionView {
  /** The policy as `TASKVAULT_RETENTION` writes it, or `none`. */
  policy: string;
  /** The last sweep this process saw end, or null. */
  lastSweep: LastSweep | null;
}

export class SweepLog {
  readonly policy: string;
  #last: LastSweep | null = null;
  #logger: Pick<FastifyBaseLogger, 'info'> | null = null;

  constructor(policy: string) {
    this.policy = policy;
  }

  /** Where sweeps are logged (a sweep that removed something, and every batch of a long one). */
  logTo(logger: Pick<FastifyBaseLogger, 'info'>): void {
    this.#logger = logger;
  }

  /** The store's `onSweep` hook. */
  readonly onSweep = (event: SweepEvent): void => {
    if (!event.done) {
      if (event.removed > 0)
        this.#logger?.info(
          { source: event.source, batch: event.batch, removed: event.removed, total: event.total },
          `${event.source}: batch ${event.batch} removed ${event.removed} tasks`,
        );
      return;
    }
    this.#last = {
      source: event.source,
      at: new Date().toISOString(),
      removed: event.total,
      batches: event.batch,
      elapsedMs: event.elapsedMs,
    };
    if (event.total > 0)
      this.#logger?.info(
        { source: event.source, removed: event.total, batches: event.batch, elapsedMs: event.elapsedMs },
        `${event.source} removed ${event.total} tasks in ${event.elapsedMs} ms`,
      );
  };

  view(): RetentionView {
    return { policy: this.policy, lastSweep: this.#last };
  }
}
