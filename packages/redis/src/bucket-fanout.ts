/**
 * Script calls over every bucket of a namespace, their replies merged by the caller: one call per
 * bucket, or on a Redis Cluster one call per master for the scripts that have a per-node form
 * (countStatus, byRequest), that master's buckets grouped by the client's slot map; and the
 * sweeper's walk over the buckets, one bucket after the other.
 */
import { type Connection, type ScriptArg, scriptArgs } from './connection.js';
import { type Bucket, clusterSlot, type KeyLayout } from './keys.js';
import { unexpected } from './replies.js';
import { type LuaScript, SCRIPTS } from './scripts.js';

/** The arguments after the keys, given the time of the call (ms since the epoch). */
export type ArgsAt = (now: number) => ScriptArg[];

/**
 * How a sweep batch ended: `swept` (how many it removed); `lost`, the lease has another token
 * (nothing removed); `fenced`, a bucket holds a higher fence than the token (the walk stopped there).
 */
export type SweepOutcome =
  | { kind: 'swept'; removed: number }
  | { kind: 'lost' }
  | { kind: 'fenced'; fence: number };

/**
 * Runs scripts over the buckets of one key layout. A call that fails rejects with the driver's
 * error, as the store's own calls do (the store wraps it).
 */
export class BucketFanout {
  /** Whether counts and byRequest on a cluster go one call per node (false once a server could not). */
  #perNode: boolean;

  /** `now` is the store's clock (ms since the epoch), read just before each round of calls. */
  constructor(
    private readonly conn: Connection,
    private readonly layout: KeyLayout,
    private readonly now: () => number,
    /** The change feed's retention (ms): the sweep script records an `expired` change per task. */
    private readonly feedRetainMs: number,
  ) {
    this.#perNode = conn.isCluster;
  }

  /** Runs `script` on every bucket, each call keyed by its bucket's index key; the replies in bucket order. */
  eachBucket(script: LuaScript, argv: ScriptArg[]): Promise<unknown[]> {
    return Promise.all(
      this.layout.buckets.map((b) => this.conn.script(script, [...scriptArgs(script, b.idx), ...argv])),
    );
  }

  /** Runs a count script on every bucket and adds the counts up. */
  async sum(script: LuaScript, args: ArgsAt): Promise<number> {
    const argv = args(this.now());
    if (script === SCRIPTS.countStatus && this.#perNode && this.layout.buckets.length > 1) {
      const sum = await this.#countStatusPerNode(argv);
      if (sum !== null) return sum;
    }
    return sumOf(await this.eachBucket(script, argv));
  }

  /** The byRequest replies for `requestId`: one per bucket, in no set order. */
  async byRequest(requestId: string): Promise<unknown[]> {
    const now = this.now();
    if (this.#perNode && this.layout.buckets.length > 1) {
      const replies = await this.#byRequestPerNode(requestId, now);
      if (replies !== null) return replies;
    }
    return this.eachBucket(SCRIPTS.byRequest, [now, requestId]);
  }

  /**
   * Runs a batch script on every bucket until each says it is done (the clock read for each call);
   * sums what it removed. `onBatch` hears of each call that removed something.
   */
  async batched(
    script: (typeof SCRIPTS)['cleanup' | 'clear'],
    args: ArgsAt,
    onBatch?: (removed: number) => void,
  ): Promise<number> {
    const perBucket = await Promise.all(
      this.layout.buckets.map(async (b: Bucket) => {
        let removed = 0;
        for (;;) {
          const reply = await this.conn.script(script, [...scriptArgs(script, b.idx), ...args(this.now())]);
          if (!Array.isArray(reply)) throw unexpected(script.name, reply);
          const batch = Number(reply[0]);
          removed += batch;
          if (batch > 0) onBatch?.(batch);
          if (Number(reply[1]) === 0) return removed;
        }
      }),
    );
    return perBucket.reduce((a, b) => a + b, 0);
  }

  /**
   * One batch of the background sweeper under the lease's fencing `token`: walks the buckets in
   * order, bucket 0 (which holds the lease, so checks the token against it) first, removing tasks
   * past their live-until instant until `limit` are gone in all; each call is one bounded server
   * step (see sweep-1.lua). Stops at the first bucket that refuses the token.
   */
  async sweep(token: number, limit: number): Promise<SweepOutcome> {
    const script = SCRIPTS.sweep;
    let removed = 0;
    for (const b of this.layout.buckets) {
      for (;;) {
        if (removed >= limit) return { kind: 'swept', removed };
        const reply = await this.conn.script(script, [
          ...scriptArgs(script, b.idx),
          this.now(),
          token,
          limit - removed,
          b.index === 0 ? '1' : '0',
          this.feedRetainMs,
        ]);
        if (reply === null) return { kind: 'lost' };
        if (!Array.isArray(reply)) throw unexpected(script.name, reply);
        if (reply[0] === 'FENCED') return { kind: 'fenced', fence: Number(reply[1]) };
        removed += Number(reply[0]);
        if (Number(reply[1]) === 0) break;
      }
    }
    return { kind: 'swept', removed };
  }

  /**
   * Cluster: countStatus with one call per master holding buckets (its buckets grouped by the
   * client's slot map), instead of one per bucket. Null when it cannot be done that way: no slot
   * map yet, or a node refused the grouped call (a slot moving, so a bucket is not local; a server
   * without script flags, which then is not asked again); the caller counts per bucket then. A
   * node that is down or not answering fails the call as any read.
   */
  async #countStatusPerNode(argv: ScriptArg[]): Promise<number | null> {
    const [now, ...statuses] = argv;
    const script = SCRIPTS.countStatusNode;
    const counts = await this.#perNodeCalls(script, (group) => [
      ...scriptArgs(script, group[0]!.idx),
      now!,
      group.length,
      ...group.map((b) => b.idx),
      ...statuses,
    ]);
    return counts === null ? null : sumOf(counts);
  }

  /** Cluster: byRequest with one call per master holding buckets; null as for the counts. */
  async #byRequestPerNode(requestId: string, now: number): Promise<unknown[] | null> {
    const script = SCRIPTS.byRequestNode;
    const replies = await this.#perNodeCalls(script, (group) => [
      ...scriptArgs(script, group[0]!.idx),
      now,
      requestId,
      group.length,
      ...group.map((b) => b.idx),
    ]);
    // each node answers with one reply per bucket it was given
    return replies === null ? null : replies.flatMap((perBucket) => perBucket as unknown[]);
  }

  /**
   * Runs a per-node script once per master holding buckets, with the arguments `argv` gives for
   * that master's buckets; the replies in node order, or null when it cannot be done that way
   * (see {@link #countStatusPerNode}).
   */
  async #perNodeCalls(script: LuaScript, argv: (group: Bucket[]) => ScriptArg[]): Promise<unknown[] | null> {
    const groups = this.#bucketsByNode();
    if (groups === null) return null;
    try {
      return await Promise.all(groups.map((group) => this.conn.script(script, argv(group))));
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (/non local key|same slot|^CROSSSLOT|^MOVED |^ASK /.test(message)) return null;
      // a server that cannot run a script with flags (before Redis 7): per bucket from now on
      if (/user_script:1:|shebang/i.test(message)) {
        this.#perNode = false;
        return null;
      }
      throw error;
    }
  }

  /** The buckets grouped by the master serving their slot, by the client's slot map; null without one. */
  #bucketsByNode(): Bucket[][] | null {
    const slots = (this.conn.client as unknown as { slots?: (string[] | undefined)[] }).slots;
    if (!Array.isArray(slots)) return null;
    const groups = new Map<string, Bucket[]>();
    for (const bucket of this.layout.buckets) {
      const node = slots[clusterSlot(bucket.idx)]?.[0];
      if (node === undefined) return null;
      const group = groups.get(node);
      if (group === undefined) groups.set(node, [bucket]);
      else group.push(bucket);
    }
    return [...groups.values()];
  }
}

/** The sum of count replies. */
function sumOf(counts: unknown[]): number {
  return counts.reduce<number>((sum, n) => sum + Number(n), 0);
}
