/**
 * Waits for the change feed to grow, for every reader of one store at once: one loop on the
 * store's dedicated reading connection (never the command connection, which must not block)
 * runs a blocking XREAD from the newest position any waiter holds and wakes them all when
 * something comes. One loop rather than one blocking read per watcher: blocking reads on one
 * connection run one after the other, so a watcher's read would wait for every other watcher's.
 *
 * On a cluster, streams of different buckets live in different slots (no XREAD across slots):
 * with several buckets the loop reads every bucket without blocking, then blocks briefly on one of
 * them (a different one each round), so a change in any bucket wakes the waiters within
 * {@link CLUSTER_BLOCK_MS} or at once.
 */
import type { Connection } from './connection.js';
import { compareIds, type StreamId } from './feed-position.js';

/** How long one blocking XREAD waits at most, ms (the reader's command timeout adds this to the usual one). */
export const BLOCK_MS = 1000;
/** A cluster with several buckets: how long the loop blocks on one bucket per round, ms. */
export const CLUSTER_BLOCK_MS = 100;

interface Waiter {
  readonly ids: readonly StreamId[];
  resolve(): void;
  reject(error: unknown): void;
}

export class FeedWaiter {
  readonly #waiters = new Set<Waiter>();
  /** The newest id the loop has seen in each bucket (null: nothing yet). */
  #seen: StreamId[] | null = null;
  #running = false;
  /** The bucket a cluster round blocks on. */
  #turn = 0;

  constructor(
    private readonly keys: readonly string[],
    private readonly reader: () => Connection,
    private readonly cluster: boolean,
  ) {}

  /**
   * Resolves when a change after `ids` (one per bucket) may have come, after `ms`, or when
   * `signal` aborts. Rejects with the reading connection's error (a server gone away).
   */
  wait(ids: readonly StreamId[], ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const seen = this.#seen;
    if (seen !== null && ids.some((id, b) => compareIds(seen[b]!, id) > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        // the listener added below, or every wait of a long watch would leave one on its signal
        signal.removeEventListener('abort', waiter.resolve);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        ids,
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const timer = setTimeout(waiter.resolve, ms);
      signal.addEventListener('abort', waiter.resolve, { once: true });
      this.#waiters.add(waiter);
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiters.size > 0) {
        // from the newest position any waiter holds: an older waiter was woken (or will be) by
        // what lies between, and reading from there would return at once, again and again
        const from = this.keys.map((_, b) => {
          let newest: StreamId = '0-0';
          for (const w of this.#waiters) if (compareIds(w.ids[b]!, newest) > 0) newest = w.ids[b]!;
          return newest;
        });
        const got = await this.#poll(from);
        if (got.length === 0) continue;
        const seen = this.#seen ?? from.slice();
        for (const [b, id] of got) if (compareIds(id, seen[b]!) > 0) seen[b] = id;
        this.#seen = seen;
        for (const w of [...this.#waiters]) w.resolve();
      }
    } catch (error) {
      for (const w of [...this.#waiters]) w.reject(error);
    } finally {
      this.#running = false;
    }
  }

  /** The buckets that have an entry after `from`, each with that entry's id. */
  async #poll(from: readonly StreamId[]): Promise<[number, StreamId][]> {
    const conn = this.reader();
    if (!this.cluster || this.keys.length === 1) {
      const reply = await conn.command('xread', [
        'COUNT',
        1,
        'BLOCK',
        BLOCK_MS,
        'STREAMS',
        ...this.keys,
        ...from,
      ]);
      return entriesOf(reply, this.keys);
    }
    const now = await Promise.all(
      this.keys.map((key, b) => conn.command('xread', ['COUNT', 1, 'STREAMS', key, from[b]!])),
    );
    const found = now.flatMap((reply) => entriesOf(reply, this.keys));
    if (found.length > 0) return found;
    const b = this.#turn;
    this.#turn = (b + 1) % this.keys.length;
    const reply = await conn.command('xread', [
      'COUNT',
      1,
      'BLOCK',
      CLUSTER_BLOCK_MS,
      'STREAMS',
      this.keys[b]!,
      from[b]!,
    ]);
    return entriesOf(reply, this.keys);
  }
}

/** [bucket, id of its first entry] for each stream in an XREAD reply (null: none). */
function entriesOf(reply: unknown, keys: readonly string[]): [number, StreamId][] {
  if (!Array.isArray(reply)) return [];
  const out: [number, StreamId][] = [];
  for (const stream of reply as [string, [StreamId, unknown][]][]) {
    const b = keys.indexOf(String(stream[0]));
    const first = stream[1]?.[0];
    if (b !== -1 && first !== undefined) out.push([b, String(first[0])]);
  }
  return out;
}
