/**
 * The background sweeper's hooks on Redis: the namespace's sweep lease (one key in its bucket 0,
 * with an expiry the server keeps) and the fenced batches that remove tasks past their live-until
 * instant. The scripts are sweep-lease-1.lua, sweep-1.lua and sweep-release-1.lua.
 */
import type { BucketFanout } from './bucket-fanout.js';
import { type Connection, scriptArgs } from './connection.js';
import type { KeyLayout } from './keys.js';
import { SCRIPTS } from './scripts.js';

/** The lease and the batches of one store. */
export class SweepLease {
  /** The highest fence a bucket refused this store's token with, until the next lease request. */
  #fenceSeen: number | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly layout: KeyLayout,
    private readonly fanout: BucketFanout,
  ) {}

  /**
   * Takes the lease for `holder` when it is free or ran out, or renews it (same token) when
   * `holder` has it: the token, or null while another holder's lease runs.
   */
  async acquire(holder: string, leaseMs: number): Promise<number | null> {
    const script = SCRIPTS.sweepLease;
    const fence = this.#fenceSeen;
    const reply = await this.conn.script(script, [
      ...scriptArgs(script, this.layout.buckets[0]!.idx),
      holder,
      leaseMs,
      fence ?? '',
    ]);
    this.#fenceSeen = null;
    return reply === null ? null : Number(reply);
  }

  /**
   * Removes up to `limit` tasks past their live-until instant over the buckets under `token`: how
   * many, or null (the batch stopped, the lease lost) when a bucket refused the token.
   */
  async sweep(token: number, limit: number): Promise<number | null> {
    const outcome = await this.fanout.sweep(token, limit);
    if (outcome.kind === 'swept') return outcome.removed;
    // A bucket's fence above the token: a successor swept there, or (when this store still holds
    // the lease) the token counter went back; the next lease request says so (sweep-lease-1.lua).
    if (outcome.kind === 'fenced') this.#fenceSeen = Math.max(this.#fenceSeen ?? 0, outcome.fence);
    return null;
  }

  /** Ends the lease if it still carries `token`. */
  async release(token: number): Promise<void> {
    const script = SCRIPTS.sweepRelease;
    await this.conn.script(script, [...scriptArgs(script, this.layout.buckets[0]!.idx), token]);
  }
}
