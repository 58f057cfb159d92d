/**
 * Change-feed positions on Redis: one stream id ("<ms>-<seq>") per bucket of the namespace. With
 * one bucket the position is that stream id as it is. With more, it is
 * `<shards>:<base>:<c0>.<c1>...`: each bucket's id as the distance of its ms below the highest
 * one (`base`), then `-<seq>` when the sequence is not 0, all in base 36, and an empty part for a
 * bucket with nothing yet ("0-0") — buckets written recently cost a character or two each.
 * Positions are checked whole: a malformed one, or one of another shard count, is INVALID_INPUT at
 * `opts.after` (never read as something else).
 */
import { taskStoreError } from '@taskvault/core/adapter';

/** A stream id as Redis writes it: `<ms>-<seq>`. */
export type StreamId = string;

const STREAM_ID = /^(\d{1,16})-(\d{1,16})$/;
const PART = /^(?:([0-9a-z]{1,11})(?:-([0-9a-z]{1,11}))?)?$/;

/** The position before the first change of a stream. */
export const START: StreamId = '0-0';

function notOurs(after: string, why: string): never {
  throw taskStoreError('watch', 'INVALID_INPUT', {
    path: 'opts.after',
    detail: `${JSON.stringify(after.length > 80 ? `${after.slice(0, 80)}...` : after)} is not a change id of this namespace's feed (${why})`,
  });
}

/** ms and sequence of a stream id (both below 2^53 for any id Redis makes from its clock). */
export function splitId(id: StreamId): [number, number] {
  const m = STREAM_ID.exec(id);
  if (m === null) throw new Error(`not a stream id: ${id}`);
  return [Number(m[1]), Number(m[2])];
}

/** Orders stream ids as Redis does. */
export function compareIds(a: StreamId, b: StreamId): number {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  return am !== bm ? am - bm : as - bs;
}

/** The position of `ids` (one per bucket). */
export function encodePosition(ids: readonly StreamId[]): string {
  if (ids.length === 1) return ids[0]!;
  const split = ids.map(splitId);
  const base = Math.max(...split.map(([ms]) => ms));
  const parts = split.map(([ms, seq]) =>
    ms === 0 && seq === 0 ? '' : (base - ms).toString(36) + (seq === 0 ? '' : `-${seq.toString(36)}`),
  );
  return `${ids.length}:${base.toString(36)}:${parts.join('.')}`;
}

/**
 * The stream ids of `after`, one per bucket.
 * @throws INVALID_INPUT at opts.after when it is not a position of a feed with `shards` buckets.
 */
export function decodePosition(after: string, shards: number): StreamId[] {
  if (shards === 1) {
    const m = STREAM_ID.exec(after);
    if (m === null || !Number.isSafeInteger(Number(m[1])) || !Number.isSafeInteger(Number(m[2])))
      notOurs(after, 'not a position of a one-shard feed');
    return [`${Number(m[1])}-${Number(m[2])}`];
  }
  const [count, baseText, list, ...rest] = after.split(':');
  if (rest.length > 0 || list === undefined || count !== String(shards))
    notOurs(after, `not a position of a feed over ${shards} shards`);
  const base = /^[0-9a-z]{1,11}$/.test(baseText!) ? Number.parseInt(baseText!, 36) : Number.NaN;
  const parts = list.split('.');
  if (!Number.isSafeInteger(base) || parts.length !== shards) notOurs(after, 'malformed');
  return parts.map((part) => {
    const m = PART.exec(part);
    if (m === null) notOurs(after, 'malformed');
    if (m[1] === undefined) return START;
    const ms = base - Number.parseInt(m[1], 36);
    const seq = m[2] === undefined ? 0 : Number.parseInt(m[2], 36);
    if (ms < 0 || !Number.isSafeInteger(seq)) notOurs(after, 'malformed');
    return `${ms}-${seq}`;
  });
}
