/**
 * `RedisTaskStore`: every method is one script call (or one per bucket, merged) — the atomicity
 * and the indexes live in the Lua scripts of ./scripts, the key layout in keys.ts. The store picks
 * the calls and reads their replies; calls over many buckets (and the sweeper's walk) are in
 * bucket-fanout.ts, corrupt records are moved aside by corruption.ts.
 */
import type { AgentTask, HealthStatus, JsonObject, TaskStoreError } from '@taskvault/core';
import {
  type CleanupRequest,
  type NormalizedFilter,
  type NormalizedListQuery,
  type PatchRequest,
  type ReadChangesRequest,
  type ReplaceRequest,
  type RestoreBatchResult,
  type RestoreRequest,
  type StoredChange,
  type SweepBatchRequest,
  type SweepLeaseRequest,
  TaskStoreBase,
  type TaskStoreOperation,
  taskStoreError,
  type VerifyRequest,
} from '@taskvault/core/adapter';
import type { Cluster, Redis } from 'ioredis';
import { BucketFanout } from './bucket-fanout.js';
import { ChangeFeed } from './change-feed.js';
import { Connection, openClient, openFeedReader, type ScriptArg, scriptArgs } from './connection.js';
import { CORRUPT_RETRIES, decodeTask, Quarantine } from './corruption.js';
import { patchedDoc } from './doc.js';
import { wrapDriverError } from './driver-errors.js';
import { EvictionPolicyCheck } from './eviction-policy.js';
import { BLOCK_MS } from './feed-waiter.js';
import { KeyLayout, lexMember } from './keys.js';
import { loadLiveTask } from './load-task.js';
import { type RedisTaskStoreOptions, resolveRedisOptions } from './options.js';
import { hasDateFilter, planIndexes } from './query-plan.js';
import { earliestHolder, listPage } from './read-replies.js';
import { CorruptFound, replyOf, scriptFailure } from './replies.js';
import { SCRIPTS } from './scripts.js';
import { ShardRecord } from './shard-record.js';
import { SweepLease } from './sweep-lease.js';
import { verifyBuckets } from './verify-walk.js';
import { wholeTaskArgs } from './whole-task.js';
import { patchArgs, updateArgs } from './write-args.js';

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
const ACTIVE = ['pending', 'running', 'paused'];
/** A cleanup cutoff before every task: the call then only purges expired tasks. */
const MIN_CUTOFF = -8.64e15;

/**
 * A `TaskStore` on Redis or Redis Cluster, through ioredis.
 *
 * Guarantees: every write is one Lua script (atomic, indexes included, never resent after a lost
 * reply); load is one GET (a task in a terminal status also one ZSCORE: its live-until instant,
 * see `retention`); list, count and countActive use sorted-set indexes and counters, never a scan.
 * With `retention` or `ttlMs` a background sweeper runs, one per namespace across processes (a
 * lease in the namespace's bucket 0, fenced per bucket). A client or cluster passed in is never closed. While Redis is down or frozen, calls reject
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
  /** Script calls over every bucket (per node on a cluster). */
  readonly #fanout: BucketFanout;
  /** Corrupt records moved aside and reported. */
  readonly #quarantine: Quarantine;
  /** The background sweeper's lease and batches. */
  readonly #lease: SweepLease;
  /** The change feed's reader (change-feed.ts). */
  readonly #feed: ChangeFeed;
  /** The feed's dedicated reading connection, opened by the first watch that waits. */
  #reader: Connection | null = null;
  #closed = false;

  constructor(options: RedisTaskStoreOptions = {}) {
    super(options);
    const resolved = resolveRedisOptions(options);
    this.#layout = new KeyLayout(resolved.keyPrefix, this.namespace, resolved.shards);
    const { client, owned } = openClient(resolved);
    this.#conn = new Connection(client, owned, resolved.commandTimeoutMs);
    this.#policy = new EvictionPolicyCheck(this.#conn);
    this.#shards = new ShardRecord(this.#conn, this.#layout);
    this.#fanout = new BucketFanout(
      this.#conn,
      this.#layout,
      () => this.now().getTime(),
      this.changeFeedRetainMs,
    );
    this.#quarantine = new Quarantine(
      this.#conn,
      this.#layout,
      (...report) => this.reportCorrupt(...report),
      this.changeFeedRetainMs,
    );
    this.#lease = new SweepLease(this.#conn, this.#layout, this.#fanout);
    this.#feed = new ChangeFeed(this.#conn, this.#layout, this.changeFeedRetainMs, () => {
      if (this.#closed) throw taskStoreError('watch', 'STORE_CLOSED', {});
      this.#reader ??= new Connection(
        openFeedReader(this.#conn.client, resolved, BLOCK_MS),
        true,
        resolved.commandTimeoutMs,
      );
      return this.#reader;
    });
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
    const args = wholeTaskArgs(this.#layout, task, {
      bytes,
      liveUntil: this.#liveUntilOf(task),
      now: task.updatedAt.getTime(),
      purge,
      mode: 'create',
      feedRetainMs: this.changeFeedRetainMs,
    });
    return this.#quarantine.corruptionAware('create', async () => {
      const reply = await this.#conn.script(SCRIPTS.create, args);
      const [status, rest] = replyOf(reply);
      if (status === 'OK') return task;
      if (status === 'EXISTS') throw taskStoreError('create', 'TASK_EXISTS', { taskId: task.taskId });
      throw scriptFailure('create', task.taskId, status, rest, reply);
    });
  }

  protected async restoreTasks(request: RestoreRequest): Promise<RestoreBatchResult> {
    if (!this.#shards.checked) await this.#shards.check('restore');
    const result: RestoreBatchResult = { restored: 0, replaced: 0, skipped: 0, conflict: null };
    const mode = request.onConflict === 'replace' ? 'replace' : 'create';
    const now = request.now.getTime();
    const write = async ({ task, bytes }: RestoreRequest['tasks'][number]): Promise<string> => {
      const liveUntil = this.#liveUntilOf(task);
      const args = wholeTaskArgs(this.#layout, task, {
        bytes,
        liveUntil,
        now,
        purge: NO_PURGE,
        mode,
        feedRetainMs: this.changeFeedRetainMs,
      });
      for (let attempt = 1; ; attempt++) {
        const reply = await this.#conn.script(SCRIPTS.create, args);
        const [status, rest] = replyOf(reply);
        if (status === 'OK' || status === 'REPLACED' || status === 'EXISTS') return status;
        const failure = scriptFailure('restore', task.taskId, status, rest, reply);
        // an unreadable record under the id is moved aside (and reported), never overwritten;
        // the restored copy then takes the id
        if (!(failure instanceof CorruptFound) || attempt > CORRUPT_RETRIES) throw failure;
        await this.#quarantine.move(failure, 'restore');
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
    const liveUntil = this.liveUntil(r.status, now, r.expiresAt?.getTime() ?? null);
    const args = updateArgs(this.#layout, request, liveUntil, NO_PURGE, this.changeFeedRetainMs);
    return this.#quarantine.corruptionAware('update', async () => {
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
      throw scriptFailure('update', r.taskId, status, rest, reply, request.expectedVersion);
    });
  }

  protected async patchTask(request: PatchRequest): Promise<AgentTask> {
    if (!this.#shards.checked) await this.#shards.check('patch');
    const taskId = request.taskId;
    const args = patchArgs(
      this.#layout,
      request,
      this.maxTaskBytes,
      this.retention,
      NO_PURGE,
      this.changeFeedRetainMs,
    );
    return this.#quarantine.corruptionAware('patch', async () => {
      const reply = await this.#conn.script(SCRIPTS.patch, args);
      const [status, rest] = replyOf(reply);
      if (status === 'OK') {
        const text =
          rest.length === 1 ? rest[0] : patchedDoc(String(rest[0]), String(rest[1]), String(rest[2]));
        return decodeTask(text, taskId);
      }
      if (status === 'TOO_BIG') {
        throw taskStoreError('patch', 'INVALID_INPUT', {
          taskId,
          path: 'task',
          detail: `serialized size ${rest[0]} bytes after this patch would exceed maxTaskBytes ${this.maxTaskBytes}; move large blobs out of the task`,
        });
      }
      throw scriptFailure('patch', taskId, status, rest, reply, request.expectedVersion);
    });
  }

  protected async deleteTask(taskId: string): Promise<void> {
    if (!this.#shards.checked) await this.#shards.check('delete');
    const args = scriptArgs(SCRIPTS.delete, ...this.#layout.taskKeys(taskId));
    args.push(this.now().getTime(), taskId, PURGE_ON_DELETE, this.changeFeedRetainMs);
    return this.#quarantine.corruptionAware('delete', async () => {
      const reply = await this.#conn.script(SCRIPTS.delete, args);
      const [status, rest] = replyOf(reply);
      if (status === 'OK') return;
      throw scriptFailure('delete', taskId, status, rest, reply);
    });
  }

  // ---- reads ----

  protected async readTask(taskId: string): Promise<AgentTask | null> {
    if (!this.#shards.checked) await this.#shards.check('load');
    return this.#quarantine.corruptionAware('load', () =>
      loadLiveTask(this.#conn, this.#layout, taskId, this.now().getTime()),
    );
  }

  /** The live-until instant of a task stored whole (create, restore): see core's liveUntil. */
  #liveUntilOf(task: AgentTask): number | null {
    return this.liveUntil(task.status, task.updatedAt.getTime(), task.expiresAt?.getTime() ?? null);
  }

  protected async readByRequestId(requestId: string): Promise<AgentTask | null> {
    if (!this.#shards.checked) await this.#shards.check('loadByRequestId');
    for (let attempt = 1; ; attempt++) {
      const { answer, corrupt } = earliestHolder(await this.#fanout.byRequest(requestId));
      if (corrupt.length === 0 || attempt > CORRUPT_RETRIES) return answer;
      // Move them aside and ask again: the answer is the next holder (an earlier one may have been
      // the unreadable one), or null.
      for (const found of corrupt) await this.#quarantine.move(found, 'loadByRequestId');
    }
  }

  protected async listTasks(query: NormalizedListQuery): Promise<AgentTask[]> {
    if (!this.#shards.checked) await this.#shards.check('list');
    const plan = planIndexes(query.filter);
    const single = this.#layout.buckets.length === 1;
    // One bucket applies the offset itself; several each return their first offset+limit+1
    // and listPage's merge skips the offset.
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
      const { answer, corrupt } = listPage(await this.#fanout.eachBucket(SCRIPTS.list, args), query, !single);
      if (corrupt.length > 0 && attempt <= CORRUPT_RETRIES) {
        // Move them aside and list again, so the page is full and the rest keeps working.
        for (const found of corrupt) await this.#quarantine.move(found, 'list');
        continue;
      }
      return answer;
    }
  }

  protected async countTasks(filter: NormalizedFilter): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('count');
    if (filter.sessionId !== null || filter.userId !== null) {
      const plan = planIndexes(filter);
      return this.#fanout.sum(SCRIPTS.count, (now) => [
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
      return this.#fanout.sum(SCRIPTS.count, (now) => [now, 'range', plan.lower, plan.upper, ...statuses]);
    }
    return this.#fanout.sum(SCRIPTS.countStatus, (now) => [now, ...statuses]);
  }

  protected async countActiveTasks(): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('countActive');
    return this.#fanout.sum(SCRIPTS.countStatus, (now) => [now, ...ACTIVE]);
  }

  // ---- maintenance ----

  /**
   * Walks every bucket in bounded steps (see verify-walk.ts). Expired tasks are purged first (they
   * are not checked).
   */
  protected async verifyTasks(request: VerifyRequest): Promise<void> {
    if (!this.#shards.checked) await this.#shards.check('verify');
    await this.#fanout.batched(SCRIPTS.cleanup, (now) => [
      now,
      MIN_CUTOFF,
      '0',
      BATCH,
      this.changeFeedRetainMs,
    ]);
    await verifyBuckets(
      this.#conn,
      this.#layout.buckets,
      request,
      () => this.now().getTime(),
      (found) => this.#quarantine.move(found, 'verify'),
    );
  }

  protected async cleanupTasks(request: CleanupRequest): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('cleanup');
    return this.#fanout.batched(
      SCRIPTS.cleanup,
      (now) => [now, request.cutoff, request.includeActive ? '1' : '0', BATCH, this.changeFeedRetainMs],
      request.onBatch,
    );
  }

  // ---- the background sweeper (sweep-lease.ts) ----

  protected override async acquireSweepLease(request: SweepLeaseRequest): Promise<number | null> {
    if (!this.#shards.checked) await this.#shards.check('cleanup');
    return this.#lease.acquire(request.holder, request.leaseMs);
  }

  protected override sweepDeadTasks(request: SweepBatchRequest): Promise<number | null> {
    return this.#lease.sweep(request.token, request.limit);
  }

  protected override releaseSweepLease(request: { holder: string; token: number }): Promise<void> {
    return this.#lease.release(request.token);
  }

  protected async clearTasks(): Promise<number> {
    if (!this.#shards.checked) await this.#shards.check('clear');
    return this.#fanout.batched(SCRIPTS.clear, (now) => [now, BATCH, this.changeFeedRetainMs]);
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

  // ---- the change feed (change-feed.ts) ----

  protected override async feedEnd(): Promise<string> {
    if (!this.#shards.checked) await this.#shards.check('watch');
    return this.#feed.end();
  }

  protected override async readChanges(request: ReadChangesRequest): Promise<StoredChange[]> {
    if (!this.#shards.checked) await this.#shards.check('watch');
    return this.#feed.read(request);
  }

  protected async closeBackend(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#conn.close(), this.#reader?.close(true)]);
  }

  protected wrapError(operation: TaskStoreOperation, error: unknown, taskId?: string): TaskStoreError {
    return wrapDriverError(operation, error, taskId);
  }
}
