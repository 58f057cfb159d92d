/**
 * The key layout, in one place. Every key of a namespace bucket starts with
 * `{<keyPrefix>:<base64url namespace>:<bucket>}:v2:`: the hash tag puts a task and every index entry
 * of it in one cluster slot, so one script can change them together, and `v2` is the layout version
 * (data of another layout is never read). The namespace is base64url encoded because a `}` in it
 * would otherwise end the tag early; ids after the tag are used as they are (Redis hashes only the
 * first `{...}` of a key).
 *
 * With `shards: N` a namespace spreads over N buckets; a task lives in bucket
 * FNV-1a(UTF-8 taskId) mod N, with all its index entries. N must stay fixed for a namespace.
 */
import { compareIds, taskStoreError } from '@taskvault/core/adapter';

/** Version of the key layout and stored document; part of every key. */
export const LAYOUT_VERSION = 2;

/** createdAt + this is always positive for the years 0..9999 and fits 13 hex digits. */
const LEX_OFFSET = 2 ** 47;
/** Length of the createdAt part of a lex member; the taskId follows it. */
export const LEX_TIME_DIGITS = 13;

/**
 * The lex member of a task: 13 hex digits of its createdAt, then its id. In the lex index it
 * follows `<index suffix>\0`; all members have score 0, so Redis orders them by bytes: by index,
 * then createdAt, then taskId in UTF-8 byte (code point) order, the tie rule every backend shares.
 */
export function lexMember(createdAtMs: number, taskId: string): string {
  return lexTime(createdAtMs) + taskId;
}

function lexTime(ms: number): string {
  return (ms + LEX_OFFSET).toString(16).padStart(LEX_TIME_DIGITS, '0');
}

/** Orders lex members as Redis does (by bytes): createdAt, then taskId by code point. */
export function compareLex(a: string, b: string): number {
  const ta = a.slice(0, LEX_TIME_DIGITS);
  const tb = b.slice(0, LEX_TIME_DIGITS);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareIds(a.slice(LEX_TIME_DIGITS), b.slice(LEX_TIME_DIGITS));
}

/** ZRANGE BYLEX bound for "created strictly after `ms`" ('' when there is none). */
export function lowerBound(createdAfter: number | null): string {
  return createdAfter === null ? '' : `[${lexTime(createdAfter + 1)}`;
}

/** ZRANGE BYLEX bound for "created strictly before `ms`" ('' when there is none). */
export function upperBound(createdBefore: number | null): string {
  return createdBefore === null ? '' : `(${lexTime(createdBefore)}`;
}

/** The keys of one bucket. */
export interface Bucket {
  readonly index: number;
  /** `{tag}:v2:` — every key of the bucket starts with it. */
  readonly prefix: string;
  /** The bucket's lex index (`{tag}:v2:idx`); KEYS[1] of every script (they derive the prefix from it). */
  readonly idx: string;
}

/** Checks a key prefix: it is part of the hash tag, so it must not hold braces. */
export function checkKeyPrefix(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7a\x7c\x7e]{1,64}$/.test(value)) {
    throw taskStoreError('config', 'CONFIG_INVALID', {
      path: 'keyPrefix',
      detail: 'must be 1 to 64 printable ASCII characters without spaces, { or }',
    });
  }
  return value;
}

/** Where every key of one namespace lives. */
export class KeyLayout {
  readonly buckets: readonly Bucket[];

  constructor(
    readonly keyPrefix: string,
    readonly namespace: string,
    readonly shards: number,
  ) {
    this.buckets = Array.from({ length: shards }, (_, index) => this.bucketAt(index));
  }

  /**
   * Bucket `index` of the namespace, also past this layout's shard count (to look for data a
   * layout with more shards wrote). Bucket 0 exists under every shard count: it holds the
   * namespace's shard record (`P shards`).
   */
  bucketAt(index: number): Bucket {
    const ns = Buffer.from(this.namespace, 'utf8').toString('base64url');
    const prefix = `{${this.keyPrefix}:${ns}:${index}}:v${LAYOUT_VERSION}:`;
    return { index, prefix, idx: `${prefix}idx` };
  }

  /** Where the namespace's shard count is recorded (in bucket 0, which every shard count has). */
  get shardRecordKey(): string {
    return `${this.buckets[0]!.prefix}shards`;
  }

  /** The bucket a task lives in. */
  bucketOf(taskId: string): Bucket {
    if (this.shards === 1) return this.buckets[0]!;
    let h = 0x811c9dc5;
    for (const byte of Buffer.from(taskId, 'utf8')) {
      h ^= byte;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return this.buckets[h % this.shards]!;
  }

  /** KEYS of the per-task scripts: [the bucket's lex index, the task's document]. */
  taskKeys(taskId: string): [string, string] {
    const b = this.bucketOf(taskId);
    return [b.idx, `${b.prefix}t:${taskId}`];
  }

  /** Key of a task's document. */
  taskKey(taskId: string): string {
    return `${this.bucketOf(taskId).prefix}t:${taskId}`;
  }

  /**
   * The expiry index of a task's bucket: its ids scored by their live-until instants (expiresAt,
   * or earlier the retention deadline of a terminal task).
   */
  expiryKey(taskId: string): string {
    return `${this.bucketOf(taskId).prefix}exp`;
  }

  /**
   * Where the namespace's sweep lease is kept (in bucket 0, beside its shard record):
   * `"<token>:<holder>"` with the lease's expiry; the fencing tokens come from a counter next to it
   * (`sweep:tokens`) and every bucket keeps the highest token a sweep brought (`sweep:fence`).
   */
  get sweepLeaseKey(): string {
    return `${this.buckets[0]!.prefix}sweep:lease`;
  }

  /** The key a record moved aside under `suffix` ({@link quarantineSuffix}) lives at. */
  quarantineKey(taskId: string, suffix: string): string {
    return `${this.bucketOf(taskId).prefix}quarantine:${suffix}`;
  }

  /** Suffix naming one quarantine of a task: `<base64url id>:<ms>`. */
  quarantineSuffix(taskId: string, atMs: number): string {
    return `${Buffer.from(taskId, 'utf8').toString('base64url')}:${atMs}`;
  }
}

/**
 * Suffixes of the indexes a task is in, joined by \x1f (ids hold no control characters), in the
 * order the scripts keep them in its bookkeeping: all, st:<status>, up:<status>, then exp and
 * ex:<status> when it expires, ss:<sessionId>, us:<userId>, and rq:<requestId> for each of
 * `requestIds` (the distinct request ids of its items, {@link distinctRequestIds}).
 */
export function indexSuffixes(
  status: string,
  sessionId: string | null,
  userId: string | null,
  expires: boolean,
  requestIds: readonly string[],
): string {
  let out = `all\x1fst:${status}\x1fup:${status}`;
  if (expires) out += `\x1fexp\x1fex:${status}`;
  if (sessionId !== null) out += `\x1fss:${sessionId}`;
  if (userId !== null) out += `\x1fus:${userId}`;
  for (const id of requestIds) out += `\x1frq:${id}`;
  return out;
}

/**
 * The members a new task gets in its bucket's lex index, `<suffix>\0<lex member>` for each lex
 * suffix of {@link indexSuffixes} (all, st:, ss:, us:, rq:), appended to `out`: what the create
 * script files with one ZADD.
 */
export function pushLexEntries(
  out: unknown[],
  lex: string,
  status: string,
  sessionId: string | null,
  userId: string | null,
  requestIds: readonly string[],
): void {
  out.push(`all\0${lex}`, `st:${status}\0${lex}`);
  if (sessionId !== null) out.push(`ss:${sessionId}\0${lex}`);
  if (userId !== null) out.push(`us:${userId}\0${lex}`);
  for (const id of requestIds) out.push(`rq:${id}\0${lex}`);
}

/** The distinct request ids of `items`, in order of first appearance. */
export function distinctRequestIds(items: readonly { requestId: string }[]): string[] {
  if (items.length > 8) return [...new Set(items.map((item) => item.requestId))];
  const out: string[] = [];
  for (const item of items) if (!out.includes(item.requestId)) out.push(item.requestId);
  return out;
}

/** CRC16/XMODEM, the checksum Redis Cluster maps keys to slots with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster slot of a key: of its hash tag (the first non-empty `{...}`) when it has one. */
export function clusterSlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key, 'utf8')) % 16384;
}
