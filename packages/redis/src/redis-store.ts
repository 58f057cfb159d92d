/**
 * `RedisTaskStore`: every method is one script call (or one per bucket, merged) — the atomicity
 * and the indexes live in the Lua scripts of ./scripts, the key layout in keys.ts.
 */
import type { AgentTask, HealthStatus, JsonObject, TaskStoreError } from '@taskvault/core';
import {
  type CleanupRequest,
  CorruptRecord,
  compareIds,
  type NormalizedFilter,
  type NormalizedListQuery,
  type PatchRequest,
  type ReplaceRequest,
  type RestoreBatchResult,
  type RestoreRequest,
  TaskStoreBase,
  type TaskStoreOperation,
  taskStoreError,
  type VerifyRequest,
} from '@taskvault/core/adapter';
import type { Cluster, Redis } from 'ioredis';
import { Connection, openClient, type ScriptArg, scriptArgs } from './connection.js';
import { dataMember, encodeDoc, itemText, patchedDoc, taskFromDoc, versionOf } from './doc.js';
import { isWrongType, refusal, wrapDriverError } from './driver-errors.js';
import { EvictionPolicyCheck } from './eviction-policy.js';
import {
  type Bucket,
  clusterSlot,
  compareLex,
  distinctRequestIds,
  indexSuffixes,
  KeyLayout,
  LEX_TIME_DIGITS,
  lexMember,
} from './keys.js';
import { type RedisTaskStoreOptions, resolveRedisOptions } from './options.js';
import { hasDateFilter, planIndexes } from './query-plan.js';
import { CorruptFound, replyOf, unexpected } from './replies.js';
import { type LuaScript, SCRIPTS } from './scripts.js';
import { ShardRecord } from './shard-record.js';
import { verifyBuckets } from './verify-walk.js';
import { nullable, wholeTaskArgs } from './whole-task.js';

/**
 * Expired tasks a create or delete removes on the way, so expired tasks never pile up: the tasks of
 * a bucket only grow by creates, and every {@link PURGE_EVERY}th create of a store removes up to
 * this many (on average {@link PURGE_PER_WRITE} / {@link PURGE_EVERY} = 16 per create, the rate
 * tasks can arrive at). Purging on only some creates saves the other creates a server-side call
 * (the expiry range read costs about as much as one index write); expired tasks are hidden from
 * every read whether purged or not. Updates and patches, the hot path of a running agent, skip it.
 */
const PURGE_PER_WRITE = 128;
const PURGE_EVERY = 8;
/** Expired tasks a delete removes on the way (a delete shrinks a bucket, so fewer are needed). */
const PURGE_ON_DELETE = 16;
const NO_PURGE = 0;
/** Tasks one cleanup or clear script call removes; the store loops until a bucket is done. */
const BATCH = 200;
/** How often a read retries after moving a corrupt record aside. */
const CORRUPT_RETRIES = 3;
const ACTIVE = ['pending', 'running', 'paused'];
/** A cleanup cutoff before every task: the call then only purges expired tasks. */
const MIN_CUTOFF = -8.64e15;

/** A patch of sessionId or userId as three arguments: mode (k keep, n null, s set), the id, its JSON. */
function pushIdChange(args: ScriptArg[], value: string | null | undefined): void {
  if (value === undefined) args.push('k', '', '');
  else if (value === null) args.push('n', '', '');
  else args.push('s', value, JSON.stringify(value));
}

/** Orders tasks by (createdAt, taskId), the order of the lex indexes. */
function compareTasks(a: AgentTask, b: AgentTask): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.taskId, b.taskId);
}

/**
 * A `TaskStore` on Redis or Redis Cluster, through ioredis.
 *
 * Guarantees: every write is one Lua script (atomic, indexes included, never resent after a lost
 * reply); load is one GET; list, count and countActive use sorted-set indexes and counters, never
 * a scan. A client or cluster passed in is never closed. While Redis is down or frozen, calls reject
 * with `BACKEND_UNAVAILABLE` within `commandTimeoutMs`; the store recovers by itself.
 *
 * @throws TaskStoreConfigError CONFIG_INVALID from the constructor for bad options.
 */
export class RedisTaskStore<TData extends JsonObject = JsonObject> extends TaskStoreBase<TData> {
  readonly backend = 'redis';
  readonly #conn: Connection;
  readonly #layout: KeyLayout;
  /** Creates since the last one that purged expired tasks, modulo {@link PURGE_EVERY}. */
  #creates = 0;
  readonly #policy: EvictionPolicyCheck;
  /** The namespace's recorded shard count, checked before this store's first call. */
  readonly #shards: ShardRecord;
  /** What the last health check found wrong with the eviction policy, or null. */
  #policyProblem: string | null = null;
  /** Whether counts on a cluster go one call per node (false once a server could not). */
  #perNode: boolean;

  constructor(options: RedisTaskStoreOptions = {}) {
    super(options);
    const resolved = resolveRedisOptions(options);
    this.#layout = new KeyLayout(resolved.keyPrefix, this.namespace, resolved.shards);
    const { client, owned } = openClient(resolved);
    this.#conn = new Connection(client, owned, resolved.commandTimeoutMs);
    this.#policy = new EvictionPolicyCheck(this.#conn);
    this.#shards = new ShardRecord(this.#conn, this.#layout);
    this.#perNode = this.#conn.isCluster;
  }

  /** A store on its own connection to `url` (`redis://` or `rediss://`). */
  static fromUrl<T extends JsonObject = JsonObject>(
    url: string,
    options: Omit<RedisTaskStoreOptions, 'url' | 'client' | 'cluster'> = {},
  ): RedisTaskStore<T> {
    return new RedisTaskStore<T>({ ...options, url });
  }

  /** The ioredis client in use: the store's own, or the one passed in. */
  get client(): Redis | Cluster {
    return this.#conn.client;
  }

  /** Where this store's keys live (hash tags, buckets), for inspection and tooling. */
  get keyLayout(): KeyLayout {
    return this.#layout;
  }

  // ---- writes ----

  protected async insertTask(task: AgentTask, bytes: number): Promise<AgentTask> {
    if (!this.#shards.checked) await this.#shards.check('create');
    this.#creates = (this.#creates + 1) % PURGE_EVERY;
    const purge = this.#creates === 0 ? PURGE_PER_WRITE : NO_PURGE;
    const args = wholeTaskArgs(this.#layout, task, bytes, purge, 'create');
    return this.#corruptionAware('create', async () => {
      const reply = await this.#conn.script(SCRIPTS.create, args);
      const [status, rest] = replyOf(reply);
      if (status === 'OK') return task;
      if (status === 'EXISTS') throw taskStoreError('create', 'TASK_EXISTS', { taskId: task.taskId });
      throw this.#failure('create', task.taskId, status, rest, reply);
    });
  }

  protected async restoreTasks(request: RestoreRequest): Promise<RestoreBatchResult> {
    if (!this.#shards.checked) await this.#shards.check('restore');
    const result: RestoreBatchResult = { restored: 0, replaced: 0, skipped: 0, conflict: null };
    const mode = request.onConflict === 'replace' ? 'replace' : 'create';
    const write = async ({ task, bytes }: RestoreRequest['tasks'][number]): Promise<string> => {
      const args = wholeTaskArgs(this.#layout, task, bytes, NO_PURGE, mode);
      for (let attempt = 1; ; attempt++) {
        const reply = await this.#conn.script(SCRIPTS.create, args);
        const [status, rest] = replyOf(reply);
        if (status === 'OK' || status === 'REPLACED' || status === 'EXISTS') return status;
        const failure = this.#failure('restore', task.taskId, status, rest, reply);
        // an unreadable record under the id is moved aside (and reported), never overwritten;
        // the restored copy then takes the id
        if (!(failure instanceof CorruptFound) || attempt > CORRUPT_RETRIES) throw failure;
        await this.#quarantine(failure, 'restore');
      }
    };
    const tally = (taskId: string, status: string): boolean => {
      if (status === 'OK') result.restored++;
      else if (status === 'REPLACED') result.replaced++;
      else if (request.onConflict === 'skip') result.skipped++;
      else {
        result.conflict = taskId;
        return false;
      }
      return true;
    };
    if (request.onConflict === 'fail') {
      // nothing from the conflicting task on may be written: one task at a time
      for (const t of request.tasks) if (!tally(t.task.taskId, await write(t))) break;
    } else {
      const done = await Promise.all(request.tasks.map(write));
      for (let i = 0; i < done.length; i++) tally(request.tasks[i]!.task.taskId, done[i]!);
    }
    return result;
  }

  protected async replaceTask(request: ReplaceRequest): Promise<AgentTask> {
    if (!this.#shards.checked) await this.#shards.check('update');
    const r = request.replacement;
    const now = request.now.getTime();
    const [idx, key] = this.#layout.taskKeys(r.taskId);
    const args = scriptArgs(SCRIPTS.update, idx, key);
    args.push(now, r.taskId, request.expectedVersion === null ? '' : request.expectedVersion, now);
    args.push(nullable(r.expiresAt), NO_PURGE);
    // version and createdAt are the stored task's: the script writes them into the fixed-width head
    args.push(
      encodeDoc({
        version: 0,
        updatedAt: now,
        status: r.status,
        expiresAt: r.expiresAt,
        createdAt: 0,
        sessionId: r.sessionId,
        userId: r.userId,
        data: r.data,
        items: r.items,
      }),
    );
    args.push(
      indexSuffixes(r.status, r.sessionId, r.userId, r.expiresAt !== null, distinctRequestIds(r.items)),
    );
    return this.#corruptionAware('update', async () => {
      const reply = await this.#conn.script(SCRIPTS.update, args);
      const [status, rest] = replyOf(reply);
      if (status === 'OK') {
        return {
          taskId: r.taskId,
          status: r.status,
          sessionId: r.sessionId,
          userId: r.userId,
          items: r.items,
          data: r.data,
          createdAt: new Date(Number(rest[0])),
          updatedAt: new Date(now),
          expiresAt: r.expiresAt,
          version: Number(rest[1]),
        };
      }
      throw this.#failure('update', r.taskId, status, rest, reply, request.expectedVersion);
    });
  }

  protected async patchTask(request: PatchRequest): Promise<AgentTask> {
    if (!this.#shards.checked) await this.#shards.check('patch');
    const { taskId, patch } = request;
    const now = request.now.getTime();
    const [idx, key] = this.#layout.taskKeys(taskId);
    const args = scriptArgs(SCRIPTS.patch, idx, key);
    args.push(now, taskId, request.expectedVersion === null ? '' : request.expectedVersion);
    args.push(this.maxTaskBytes, now, patch.status ?? '');
    pushIdChange(args, patch.sessionId);
    pushIdChange(args, patch.userId);
    const x = patch.expiresAt;
    args.push(x === undefined ? 'k' : x === null ? 'n' : 's', x ? x.getTime() : '', NO_PURGE);
    const data = patch.data;
    if (data === undefined) {
      args.push(0);
    } else {
      const keys = Object.keys(data);
      args.push(keys.length);
      for (const key of keys) args.push(dataMember(key, data[key]!));
    }
    const items = patch.appendItems ?? [];
    const requestIds = distinctRequestIds(items);
    args.push(requestIds.length);
    for (const id of requestIds) args.push(id);
    args.push(items.length);
    for (const item of items) args.push(itemText(item));
    return this.#corruptionAware('patch', async () => {
      const reply = await this.#conn.script(SCRIPTS.patch, args);
      const [status, rest] = replyOf(reply);
      if (status === 'OK') {
        const text =
          rest.length === 1 ? rest[0] : patchedDoc(String(rest[0]), String(rest[1]), String(rest[2]));
        return this.#decode(text, taskId);
      }
      if (status === 'TOO_BIG') {
        throw taskStoreError('patch', 'INVALID_INPUT', {
          taskId,
          path: 'task',
          detail: `serialized size ${rest[0]} bytes after this patch would exceed maxTaskBytes ${this.maxTaskBytes}; move large blobs out of the task`,
        });
      }
      throw this.#failure('patch', taskId, status, rest, reply, request.expectedVersion);
    });
  }

  protected async deleteTask(taskId: string): Promise<void> {
    if (!this.#shards.checked) await this.#shards.check('delete');
    const args = scriptArgs(SCRIPTS.delete, ...this.#layout.taskKeys(taskId));
    args.push(this.now().getTime(), taskId, PURGE_ON_DELETE);
    return this.#corruptionAware('delete', async () => {
      const reply = await this.#conn.script(SCRIPTS.delete, args);
      const [status, rest] = replyOf(reply);
      if (status === 'OK') return;
      throw this.#failure('delete', taskId, status, rest, reply);
    });
  }

  // ---- reads ----

  protected async readTask(taskId: string): Promise<AgentTask | null> {
    if (!this.#shards.checked) await this.#shards.check('load');
    const key = this.#layout.taskKey(taskId);
    return this.#corruptionAware('load', async () => {
      const now = this.now().getTime();
      let text: unknown;
      try {
        text = await this.#conn.command('get', [key]);
      } catch (error) {
        // another type of value under the task key: an unreadable record
        if (isWrongType(error)) throw new CorruptFound(taskId, '', 'the task record is not a string');
        throw error;
      }
      if (text === null) return null;
      const task = this.#decode(text, taskId);
      // expired but not yet purged: it does not exist
      return task.expiresAt !== null && task.expiresAt.getTime() <= now ? null : task;
    });
  }

  protected async readByRequestId(requestId: string): Promise<AgentTask | null> {
    if (!this.#shards.checked) await this.#shards.check('loadByRequestId');
    const buckets = this.#layout.buckets;
    const call = (b: Bucket, now: number) =>
      this.#conn.script(SCRIPTS.byRequest, [...scriptArgs(SCRIPTS.byRequest, b.idx), now, requestId]);
    for (let attempt = 1; ; attempt++) {
      const now = this.now().getTime();
      const replies =
        buckets.length === 1
          ? [await call(buckets[0]!, now)]
          : ((this.#perNode ? await this.#byRequestPerNode(requestId, now) : null) ??
            (await Promise.all(buckets.map((b) => call(b, now)))));
      let best: AgentTask | null = null;
      const corrupt: CorruptFound[] = [];
      for (const reply of replies) {
        const [status, rest] = replyOf(reply);
        if (status === 'MISSING') continue;
        if (status === 'CORRUPT') {
          corrupt.push(
            new CorruptFound(String(rest[0]), String(rest[1]), 'its fields are missing or malformed'),
          );
          continue;
        }
        if (status !== 'OK') throw unexpected('by_request', reply);
        try {
          const task = this.#decode(rest[1], String(rest[0]));
          if (best === null || compareTasks(task, best) < 0) best = task;
        } catch (error) {
          if (!(error instanceof CorruptFound)) throw error;
          corrupt.push(error);
        }
      }
      if (corrupt.length === 0 || attempt > CORRUPT_RETRIES) return best;
      // Move them aside and ask again: the answer is the next holder (an earlier one may have been
      // the unreadable one), or null.
      for (const found of corrupt) await this.#quarantine(found, 'loadByRequestId');
    }
  }

  protected async listTasks(query: NormalizedListQuery): Promise<AgentTask[]> {
    if (!this.#shards.checked) await this.#shards.check('list');
    const plan = planIndexes(query.filter);
    const buckets = this.#layout.buckets;
    const single = buckets.length === 1;
    // One bucket applies the offset itself; several each return their first offset+limit+1
    // and the merge below skips the offset.
    const skip = single ? query.offset : 0;
    const take = single ? query.limit + 1 : query.offset + query.limit + 1;
    const after = query.after === null ? '' : lexMember(query.after.createdAt, query.after.taskId);
    for (let attempt = 1; ; attempt++) {
      const now = this.now().getTime();
      const args: ScriptArg[] = [
        now,
        query.order,
        after,
        plan.lower,
        plan.upper,
        skip,
        take,
        plan.checkStatuses,
        plan.checkSession,
        plan.checkUser,
        plan.drive.length,
        ...plan.drive,
      ];
      const replies = await Promise.all(
        buckets.map((b) => this.#conn.script(SCRIPTS.list, [...scriptArgs(SCRIPTS.list, b.idx), ...args])),
      );
      // (lex member, document) of each match; with several buckets, merged in order and cut to the
      // page before any document is parsed (parsing is most of a page's cost)
      let found: [string, unknown][] = [];
      const corrupt: CorruptFound[] = [];
      for (const reply of replies) {
        const [docs, bad] = Array.isArray(reply) ? (reply as unknown[][]) : [[], []];
        if (!Array.isArray(docs) || !Array.isArray(bad)) throw unexpected('list', reply);
        for (let i = 0; i < docs.length; i += 2) found.push([String(docs[i]), docs[i + 1]]);
        for (let i = 0; i < bad.length; i += 2) {
          corrupt.push(new CorruptFound(String(bad[i]), String(bad[i + 1]), 'unreadable'));
        }
      }
      if (!single) {
        found.sort(
          query.order === 'asc' ? (a, b) => compareLex(a[0], b[0]) : (a, b) => compareLex(b[0], a[0]),
        );
        found = found.slice(query.offset, query.offset + query.limit + 1);
      }
      const tasks: AgentTask[] = [];
      for (const [lex, doc] of found) {
        try {
          tasks.push(this.#decode(doc, lex.slice(LEX_TIME_DIGITS)));
        } catch (error) {
          if (!(error instanceof CorruptFound)) throw error;
          corrupt.push(error);
        }
      }
      if (corrupt.length > 0 && attempt <= CORRUPT_RETRIES) {
        // Move them aside and list again, so the page is full and the rest keeps working.
        for (const found of corrupt) await this.#quarantine(found, 'list');
        continue;
      }
      return tasks;
    }
  }

  protected async countTasks(filter: NormalizedFilter): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('count');
    if (filter.sessionId !== null || filter.userId !== null) {
      const plan = planIndexes(filter);
      return this.#sumOverBuckets(SCRIPTS.count, (now) => [
        now,
        'walk',
        plan.lower,
        plan.upper,
        plan.drive[0]!,
        plan.checkStatuses,
        plan.checkSession,
        plan.checkUser,
      ]);
    }
    const statuses = filter.statuses ?? [];
    if (hasDateFilter(filter)) {
      const plan = planIndexes(filter);
      return this.#sumOverBuckets(SCRIPTS.count, (now) => [
        now,
        'range',
        plan.lower,
        plan.upper,
        ...statuses,
      ]);
    }
    return this.#sumOverBuckets(SCRIPTS.countStatus, (now) => [now, ...statuses]);
  }

  protected async countActiveTasks(): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('countActive');
    return this.#sumOverBuckets(SCRIPTS.countStatus, (now) => [now, ...ACTIVE]);
  }

  /** Runs a count script on every bucket and adds the counts up. */
  async #sumOverBuckets(script: LuaScript, args: (now: number) => ScriptArg[]): Promise<number> {
    const argv = args(this.now().getTime());
    const buckets = this.#layout.buckets;
    if (buckets.length === 1)
      return Number(await this.#conn.script(script, [...scriptArgs(script, buckets[0]!.idx), ...argv]));
    if (script === SCRIPTS.countStatus && this.#perNode) {
      const sum = await this.#countStatusPerNode(argv);
      if (sum !== null) return sum;
    }
    const counts = await Promise.all(
      buckets.map((b) => this.#conn.script(script, [...scriptArgs(script, b.idx), ...argv])),
    );
    return counts.reduce<number>((sum, n) => sum + Number(n), 0);
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
    return counts === null ? null : counts.reduce<number>((sum, n) => sum + Number(n), 0);
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
      return await Promise.all(groups.map((group) => this.#conn.script(script, argv(group))));
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

  /** The buckets grouped by the master serving their slot, by the client's slot map; null without one. */
  #bucketsByNode(): Bucket[][] | null {
    const slots = (this.#conn.client as unknown as { slots?: (string[] | undefined)[] }).slots;
    if (!Array.isArray(slots)) return null;
    const groups = new Map<string, Bucket[]>();
    for (const bucket of this.#layout.buckets) {
      const node = slots[clusterSlot(bucket.idx)]?.[0];
      if (node === undefined) return null;
      const group = groups.get(node);
      if (group === undefined) groups.set(node, [bucket]);
      else group.push(bucket);
    }
    return [...groups.values()];
  }

  // ---- maintenance ----

  /**
   * Walks every bucket in bounded steps (see verify-walk.ts). Expired tasks are purged first (they
   * are not checked).
   */
  protected async verifyTasks(request: VerifyRequest): Promise<void> {
    if (!this.#shards.checked) await this.#shards.check('verify');
    await this.#batchedOverBuckets(SCRIPTS.cleanup, () => [this.now().getTime(), MIN_CUTOFF, '0', BATCH]);
    await verifyBuckets(
      this.#conn,
      this.#layout.buckets,
      request,
      () => this.now().getTime(),
      (found) => this.#quarantine(found, 'verify'),
    );
  }

  protected async cleanupTasks(request: CleanupRequest): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('cleanup');
    return this.#batchedOverBuckets(SCRIPTS.cleanup, () => [
      this.now().getTime(),
      request.cutoff,
      request.includeActive ? '1' : '0',
      BATCH,
    ]);
  }

  protected async clearTasks(): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('clear');
    return this.#batchedOverBuckets(SCRIPTS.clear, () => [this.now().getTime(), BATCH]);
  }

  /** Runs a batch script on every bucket until each says it is done; sums what it removed. */
  async #batchedOverBuckets(
    script: (typeof SCRIPTS)['cleanup' | 'clear'],
    args: () => ScriptArg[],
  ): Promise<number> {
    const perBucket = await Promise.all(
      this.#layout.buckets.map(async (b: Bucket) => {
        let removed = 0;
        for (;;) {
          const reply = await this.#conn.script(script, [...scriptArgs(script, b.idx), ...args()]);
          if (!Array.isArray(reply)) throw unexpected(script.name, reply);
          removed += Number(reply[0]);
          if (Number(reply[1]) === 0) return removed;
        }
      }),
    );
    return perBucket.reduce((a, b) => a + b, 0);
  }

  /**
   * Also reports a server whose `maxmemory-policy` is not `noeviction` (it may evict the store's
   * keys): `ok: false` with a detail naming the policy. The policy is read in the same tick as the
   * PING, at most every 10 s.
   */
  override async healthCheck(): Promise<HealthStatus> {
    const health = await super.healthCheck();
    if (!health.ok || this.#policyProblem === null) return health;
    return { ...health, ok: false, detail: this.#policyProblem };
  }

  protected async ping(): Promise<void> {
    const policy = this.#policy.problem();
    if (!this.#shards.checked) await this.#shards.check('healthCheck');
    if (!this.#conn.isCluster) {
      await this.#conn.command('ping', []);
    } else {
      // Each bucket's slot may live on another node: ask each of them.
      await Promise.all(this.#layout.buckets.map((b) => this.#conn.command('exists', [b.idx])));
    }
    this.#policyProblem = await policy;
  }

  protected async closeBackend(): Promise<void> {
    await this.#conn.close();
  }

  protected wrapError(operation: TaskStoreOperation, error: unknown, taskId?: string): TaskStoreError {
    return wrapDriverError(operation, error, taskId);
  }

  // ---- corrupt records ----

  /** Parses a stored document, turning a bad one into CorruptFound. */
  #decode(text: unknown, taskId: string): AgentTask {
    try {
      return taskFromDoc(text, taskId);
    } catch (error) {
      if (error instanceof CorruptRecord) throw new CorruptFound(taskId, versionOf(text), error.detail);
      throw error;
    }
  }

  /** The error of a reply every per-task script may give. */
  #failure(
    operation: TaskStoreOperation,
    taskId: string,
    status: string,
    rest: unknown[],
    reply: unknown,
    expectedVersion?: number | null,
  ): Error {
    switch (status) {
      case 'NOT_FOUND':
        return taskStoreError(operation, 'TASK_NOT_FOUND', { taskId });
      case 'CONFLICT':
        return taskStoreError(operation, 'VERSION_CONFLICT', {
          taskId,
          expectedVersion: expectedVersion ?? undefined,
          actualVersion: Number(rest[0]),
        });
      case 'CORRUPT':
        return new CorruptFound(taskId, String(rest[0] ?? ''), 'its fields are missing or malformed');
      case 'REFUSED':
        return refusal(String(rest[0]), String(rest[1]));
      default:
        return unexpected(operation, reply);
    }
  }

  /**
   * Runs `fn`; when it finds a corrupt record, moves the record aside and rejects with
   * CORRUPT_DATA. When the record changed between reading and moving (someone rewrote it), the
   * operation runs again instead.
   */
  async #corruptionAware<T>(operation: TaskStoreOperation, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof CorruptFound)) throw error;
        const moved = await this.#quarantine(error, operation);
        if (moved || attempt > CORRUPT_RETRIES) {
          throw taskStoreError(operation, 'CORRUPT_DATA', {
            taskId: error.taskId,
            detail: error.detail,
            backend: 'redis',
          });
        }
      }
    }
  }

  /**
   * Moves a corrupt record to quarantine keys and reports it (onCorrupt). False when it changed
   * since it was read (then nothing was moved).
   */
  async #quarantine(found: CorruptFound, operation: TaskStoreOperation): Promise<boolean> {
    const suffix = this.#layout.quarantineSuffix(found.taskId, Date.now());
    const args = scriptArgs(SCRIPTS.quarantine, ...this.#layout.taskKeys(found.taskId));
    args.push(found.taskId, suffix, found.version);
    const [status, rest] = replyOf(await this.#conn.script(SCRIPTS.quarantine, args));
    if (status !== 'OK') return false;
    const movedTo = Number(rest[0]) === 1 ? this.#layout.quarantineKey(found.taskId, suffix) : null;
    this.reportCorrupt(operation, found.taskId, found.detail, movedTo);
    return true;
  }
}
