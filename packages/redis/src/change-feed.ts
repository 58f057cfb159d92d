/**
 * The change feed on Redis: each namespace bucket keeps a stream `P ch` that every write script
 * appends its change to (lib/feed.lua); this reads them. `end()` is the last id of every bucket's
 * stream as one position (feed-position.ts); `read()` returns the changes after a position, the
 * buckets' streams merged by id (ids are the server's clock in µs; per bucket in order, so per task
 * in version order), waiting on
 * the store's dedicated reading connection when there are none (feed-waiter.ts).
 */
import type { TaskChangeType } from '@taskvault/core';
import type { ReadChangesRequest, StoredChange } from '@taskvault/core/adapter';
import { taskStoreError } from '@taskvault/core/adapter';
import { type Connection, scriptArgs } from './connection.js';
import { compareIds, decodePosition, encodePosition, type StreamId } from './feed-position.js';
import { FeedWaiter } from './feed-waiter.js';
import type { KeyLayout } from './keys.js';
import { SCRIPTS } from './scripts.js';

const TYPES: Record<string, TaskChangeType> = { c: 'created', u: 'updated', d: 'deleted', x: 'expired' };

type Entry = [StreamId, string[]];

export class ChangeFeed {
  readonly #waiter: FeedWaiter;

  constructor(
    private readonly conn: Connection,
    private readonly layout: KeyLayout,
    /** This store's `changeFeed.retainMs`: an entry older than that counts as trimmed. */
    private readonly retainMs: number,
    /** The dedicated reading connection, opened on first use. */
    reader: () => Connection,
  ) {
    const keys = layout.buckets.map((b) => `${b.prefix}ch`);
    this.#waiter = new FeedWaiter(keys, reader, conn.isCluster);
  }

  /** The position after the last change of every bucket. */
  async end(): Promise<string> {
    const script = SCRIPTS.feedRead;
    const ids = await Promise.all(
      this.layout.buckets.map((b) => this.conn.script(script, [...scriptArgs(script, b.idx), 'end'])),
    );
    return encodePosition(ids.map(String));
  }

  /**
   * Up to `limit` changes after `after`, oldest first; with none, waits up to `waitMs` (or until
   * `signal` aborts: then [] at once).
   * @throws INVALID_INPUT at opts.after: not a position of this feed, or one whose successors were
   *   trimmed (the caller must list again)
   */
  async read(request: ReadChangesRequest): Promise<StoredChange[]> {
    const from = decodePosition(request.after, this.layout.shards);
    let entries = await this.#readAll(from, request.limit, request.after);
    if (entries.every((e) => e.length === 0) && request.waitMs > 0 && !request.signal.aborted) {
      await this.#waiter.wait(from, request.waitMs, request.signal);
      if (request.signal.aborted) return [];
      entries = await this.#readAll(from, request.limit, request.after);
    }
    return merge(entries, from, request.limit);
  }

  async #readAll(from: StreamId[], limit: number, after: string): Promise<Entry[][]> {
    const script = SCRIPTS.feedRead;
    const replies = await Promise.all(
      this.layout.buckets.map((b, i) =>
        this.conn.script(script, [...scriptArgs(script, b.idx), 'read', from[i]!, limit, this.retainMs]),
      ),
    );
    return replies.map((reply) => {
      const [status, rest] = Array.isArray(reply) ? [String(reply[0]), reply[1]] : ['', null];
      if (status === 'OK') return (rest ?? []) as Entry[];
      if (status === 'GAP') {
        throw taskStoreError('watch', 'INVALID_INPUT', {
          path: 'opts.after',
          detail:
            'changes after that id are no longer kept (older than changeFeed.retainMs); list the tasks again, then watch from now',
        });
      }
      if (status === 'FOREIGN') {
        throw taskStoreError('watch', 'INVALID_INPUT', {
          path: 'opts.after',
          detail: `${JSON.stringify(after)} is past the end of this namespace's feed: not one of its change ids (a feed from another server, or one that was lost)`,
        });
      }
      throw taskStoreError('watch', 'BACKEND_ERROR', {
        backend: 'redis',
        detail: `unexpected reply from ${script.name}: ${JSON.stringify(reply)}`,
      });
    });
  }
}

/** The entries of every bucket merged by id, up to `limit`; each change's id the position after it. */
function merge(entries: Entry[][], from: StreamId[], limit: number): StoredChange[] {
  const out: StoredChange[] = [];
  if (entries.length === 1) {
    for (const entry of entries[0]!.slice(0, limit)) out.push(change(entry[0], entry));
    return out;
  }
  const at = entries.map(() => 0);
  const position = from.slice();
  while (out.length < limit) {
    let pick = -1;
    for (let b = 0; b < entries.length; b++) {
      const head = entries[b]![at[b]!];
      if (head !== undefined && (pick === -1 || compareIds(head[0], entries[pick]![at[pick]!]![0]) < 0))
        pick = b;
    }
    if (pick === -1) break;
    const entry = entries[pick]![at[pick]!++]!;
    position[pick] = entry[0];
    out.push(change(encodePosition(position), entry));
  }
  return out;
}

/** A stream entry as a stored change (its fields: see lib/feed.lua). */
function change(id: string, entry: Entry): StoredChange {
  const fields = entry[1];
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = String(fields[i + 1]);
  return {
    id,
    type: TYPES[f.t!] ?? 'updated',
    taskId: f.i!,
    version: Number(f.v),
    status: f.s as StoredChange['status'],
    at: Number(f.a),
    sessionId: JSON.parse(f.e ?? 'null') as string | null,
    userId: JSON.parse(f.u ?? 'null') as string | null,
    createdAt: Number(f.c),
  };
}
