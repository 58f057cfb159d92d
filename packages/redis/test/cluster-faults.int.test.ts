/**
 * What a caller can know when one master of a Redis Cluster fails, as faults.int.test.ts shows for
 * one server: while a master is killed every call settles in bounded time and every rejection is
 * BACKEND_UNAVAILABLE (first for the dead master's slots, then, once the survivors declare it
 * failed, CLUSTERDOWN for all of them), healthCheck says ok:false instead of throwing, and once the
 * node is started again (same port and dir: its nodes.conf makes it rejoin as the same node, its
 * append-only file gives back every acknowledged write) the same store instance works again and
 * lost nothing that resolved. A frozen master fails the calls to its slots within the timeout.
 *
 * TASKVAULT_TEST_FAULTS_LOG=1 prints what each phase saw (codes, counts, timings).
 */
import { type AgentTask, isTaskStoreError } from '@taskvault/core';
import { type RedisClusterHandle, redisCommand, startRedisCluster } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bucket, RedisTaskStore } from '../src/index.js';
import { indexProblems } from './support/inspect.js';
import { expectResolvedWritesKept, type ResolvedPatch } from './support/survivors.js';

const COMMAND_TIMEOUT_MS = 800;
/**
 * The longest any call may take to settle while a master is down or frozen: the store's wait + a
 * margin. The margin covers the test process itself on a loaded 2-core CI machine (a burst of
 * hundreds of calls, their timers and the cluster's own processes); it is well under what an
 * unbounded driver default would show (ioredis retries forever, so such a call never settles).
 */
const SETTLE_MS = COMMAND_TIMEOUT_MS + 1200;
/**
 * cluster-node-timeout of the nodes: short, so the survivors declare a killed master failed within
 * seconds and answer CLUSTERDOWN (the default, 15 s, would outlast the test), yet well above the
 * freeze below, so a frozen master is not declared failed.
 */
const NODE_TIMEOUT_MS = 2000;
const MASTERS = 3;
const log = process.env.TASKVAULT_TEST_FAULTS_LOG ? console.log : () => {};

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster({
    masters: MASTERS,
    appendOnly: true,
    args: ['--cluster-node-timeout', String(NODE_TIMEOUT_MS)],
  });
});
afterAll(async () => {
  // a failed test may have left a node frozen: SIGCONT it (destroy's SIGKILL ends it either way)
  for (const server of cluster?.servers ?? []) {
    try {
      server.thaw();
    } catch {
      // not running
    }
  }
  await cluster?.destroy();
});

const startupNodes = () => cluster.nodes.map((n) => `${n.host}:${n.port}`);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the store reports healthy; returns how long that took. */
async function untilHealthy(store: RedisTaskStore, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const health = await store.healthCheck();
    if (health.ok) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`store still unhealthy: ${health.detail}`);
    await sleep(100);
  }
}

/** Waits until each of the given masters reports this cluster_state. */
async function untilClusterState(masters: number[], state: 'ok' | 'fail', withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const states = await Promise.all(
      masters.map(async (i) => {
        const info = String(await redisCommand(cluster.nodes[i]!, ['CLUSTER', 'INFO']));
        return /cluster_state:(\w+)/.exec(info)?.[1];
      }),
    );
    if (states.every((s) => s === state)) return;
    if (Date.now() > deadline)
      throw new Error(`cluster_state of masters ${masters}: ${states}, not ${state}`);
    await sleep(50);
  }
}

interface Timed<T> {
  ms: number;
  value: T | null;
  error: unknown;
}

/** Runs `fn`, returning how long it took to settle, what it resolved to and what it rejected with. */
async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const started = Date.now();
  try {
    const value = await fn();
    return { ms: Date.now() - started, value, error: null };
  } catch (error) {
    return { ms: Date.now() - started, value: null, error };
  }
}

/** The TaskStoreError code of a rejection, or a description of what else it was. */
function codeOf(error: unknown): string {
  return isTaskStoreError(error) ? error.code : `not a TaskStoreError: ${String(error)}`;
}

function describeOutcome(t: Timed<unknown>): string {
  return t.error === null
    ? `resolved in ${t.ms} ms`
    : `${codeOf(t.error)} in ${t.ms} ms (${String(t.error)})`;
}

function item(requestId: string) {
  return { requestId, role: 'tool' as const, content: { requestId, at: 0.1 + 0.2 }, createdAt: new Date() };
}

/** Runs `fn` over `items`, `width` at a time. */
/** Which master (index into cluster.nodes) serves each bucket, by CLUSTER KEYSLOT and CLUSTER SLOTS. */
async function bucketOwners(buckets: readonly Bucket[]): Promise<number[]> {
  const ask = cluster.nodes[0]!;
  const ranges = (await redisCommand(ask, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
  return Promise.all(
    buckets.map(async (b) => {
      const slot = Number(await redisCommand(ask, ['CLUSTER', 'KEYSLOT', b.idx]));
      const range = ranges.find(([first, last]) => slot >= first && slot <= last)!;
      return cluster.nodes.findIndex((n) => n.port === Number(range[2][1]));
    }),
  );
}

/** A store (shards: 8) on a fresh namespace whose buckets sit on every master, and each bucket's master. */
async function spreadStore(name: string): Promise<{ store: RedisTaskStore; owners: number[] }> {
  for (let k = 0; ; k++) {
    const store = new RedisTaskStore({
      cluster: startupNodes(),
      shards: 8,
      namespace: `${name}-${k}`,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const owners = await bucketOwners(store.keyLayout.buckets);
    if (new Set(owners).size === MASTERS) return { store, owners };
    await store.close();
  }
}

/** The master that holds a task. */
function ownerOf(store: RedisTaskStore, owners: number[], taskId: string): number {
  return owners[store.keyLayout.bucketOf(taskId).index]!;
}

/** A task id of this store that lands on master `master`. */
function idOn(store: RedisTaskStore, owners: number[], master: number, prefix: string): string {
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i}`;
    if (ownerOf(store, owners, id) === master) return id;
  }
}

describe('redis cluster faults', () => {
  it('kill a master during a burst of writes: bounded BACKEND_UNAVAILABLE, health ok:false; after a restart the same store has every resolved write', async () => {
    const { store, owners } = await spreadStore('kill');
    const victimIndex = 1;
    const survivors = [0, 1, 2].filter((i) => i !== victimIndex);
    const victim = cluster.servers[victimIndex]!;
    try {
      // a task on the victim and one on a survivor, to read while the victim is down
      const onVictim = await store.create({ taskId: idOn(store, owners, victimIndex, 'pre-victim') });
      const onSurvivor = await store.create({ taskId: idOn(store, owners, survivors[0]!, 'pre-survivor') });

      interface Call {
        kind: 'create' | 'patch';
        master: number;
        settledAt: number;
        ms: number;
        error: unknown;
      }
      const calls: Call[] = [];
      const resolvedCreates: AgentTask[] = [onVictim, onSurvivor];
      const resolvedPatches: ResolvedPatch[] = [];
      let stop = false;
      const writer = async (w: number) => {
        const mine: string[] = [];
        for (let n = 0; !stop; n++) {
          // at most 40 tasks per writer, so one list() page holds them all
          const create = mine.length === 0 || (n % 3 === 0 && mine.length < 40);
          const taskId = create ? `w${w}-${n}` : mine[n % mine.length]!;
          const requestId = `w${w}-${n}-r`;
          const outcome = await timed(() =>
            create
              ? store.create({ taskId, sessionId: `s${w}`, items: [item(`${taskId}-r0`)], data: { n } })
              : store.patch(taskId, {
                  appendItems: [item(requestId)],
                  status: n % 2 === 0 ? 'running' : 'paused',
                  data: { [`k${n}`]: n },
                }),
          );
          const { ms, value, error } = outcome;
          calls.push({
            kind: create ? 'create' : 'patch',
            master: ownerOf(store, owners, taskId),
            settledAt: Date.now(),
            ms,
            error,
          });
          if (value !== null && create) {
            resolvedCreates.push(value);
            mine.push(taskId);
          } else if (value !== null) {
            resolvedPatches.push({ taskId, version: value.version, requestId });
          }
          // paced, so the counts stay bounded over the seconds the outage lasts
          await sleep(error === null ? 10 : 50);
        }
      };
      /** What a caller sees of reads and health at one moment. */
      const probe = async () => {
        const [health, loadVictim, loadSurvivor, list, count] = await Promise.all([
          timed(() => store.healthCheck()),
          timed(() => store.load(onVictim.taskId)),
          timed(() => store.load(onSurvivor.taskId)),
          timed(() => store.list({ limit: 1000 })),
          timed(() => store.count()),
        ]);
        return { health, loadVictim, loadSurvivor, list, count };
      };

      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      await sleep(300);
      await victim.kill(); // SIGKILL
      const killedAt = Date.now();
      await sleep(400);
      // the victim is gone; the survivors have not noticed yet and still serve their slots
      const partial = await probe();
      // the survivors declare it failed: without every slot covered they answer CLUSTERDOWN
      await untilClusterState(survivors, 'fail', 15_000);
      const clusterDownAt = Date.now();
      await sleep(500);
      const down = await probe();
      stop = true;
      await Promise.all(writers);

      const phaseOf = (c: Call) =>
        c.settledAt < killedAt
          ? 'before'
          : c.settledAt - c.ms < clusterDownAt
            ? 'victim down'
            : 'cluster down';
      const seen = new Map<string, { n: number; maxMs: number }>();
      for (const c of calls) {
        const key = `${phaseOf(c)}: ${c.kind} on master ${c.master}: ${c.error === null ? 'ok' : `${codeOf(c.error)} (${String(c.error).slice(0, 100)})`}`;
        const s = seen.get(key) ?? { n: 0, maxMs: 0 };
        seen.set(key, { n: s.n + 1, maxMs: Math.max(s.maxMs, c.ms) });
      }
      log(
        `victim master ${victimIndex}; cluster down ${clusterDownAt - killedAt} ms after the kill\n` +
          [...seen]
            .sort()
            .map(([k, v]) => `  ${k}: ${v.n}, slowest ${v.maxMs} ms`)
            .join('\n') +
          `\n${Object.entries({ partial, down })
            .flatMap(([p, probed]) =>
              Object.entries(probed).map(([what, t]) => `  probe ${p}: ${what}: ${describeOutcome(t)}`),
            )
            .join('\n')}`,
      );

      // every call settled in bounded time; every rejection is BACKEND_UNAVAILABLE
      expect(calls.length).toBeGreaterThan(50);
      for (const c of calls) {
        expect(c.ms, `${c.kind} on master ${c.master} (${phaseOf(c)})`).toBeLessThan(SETTLE_MS);
        if (c.error !== null) expect(codeOf(c.error), String(c.error)).toBe('BACKEND_UNAVAILABLE');
      }
      // the victim's buckets failed once it was gone
      expect(calls.some((c) => c.master === victimIndex && c.settledAt > killedAt && c.error !== null)).toBe(
        true,
      );
      // health is a value, never a throw; reads that need the victim reject
      for (const probed of [partial, down]) {
        expect(probed.health.error).toBeNull();
        expect(probed.health.value).toMatchObject({ ok: false, backend: 'redis' });
        expect(probed.health.value!.detail).toMatch(/BACKEND_UNAVAILABLE/);
        expect(probed.health.ms).toBeLessThan(SETTLE_MS);
        for (const read of [probed.loadVictim, probed.list, probed.count]) {
          expect(codeOf(read.error), String(read.error)).toBe('BACKEND_UNAVAILABLE');
          expect(read.ms).toBeLessThan(SETTLE_MS);
        }
        expect(probed.loadSurvivor.ms).toBeLessThan(SETTLE_MS);
      }
      // once the cluster is down (CLUSTERDOWN), the survivors' slots reject too
      expect(codeOf(down.loadSurvivor.error), String(down.loadSurvivor.error)).toBe('BACKEND_UNAVAILABLE');

      // restart on the same port and dir: it rejoins, and the same store object recovers by itself
      const restartedAt = Date.now();
      await victim.start();
      const healthyAfterMs = await untilHealthy(store, 15_000);
      log(
        `down ${restartedAt - killedAt} ms; healthy ${healthyAfterMs} ms after the restarted node answered PING; ` +
          `${resolvedCreates.length} creates and ${resolvedPatches.length} patches resolved`,
      );

      await expectResolvedWritesKept(store, resolvedCreates, resolvedPatches);
      // rejected writes ran whole or not at all: tasks and index entries agree in every bucket
      for (const bucket of store.keyLayout.buckets) {
        const node = cluster.nodes[owners[bucket.index]!]!;
        const direct = new Redis({ host: node.host, port: node.port });
        try {
          expect(await indexProblems(direct, bucket)).toEqual([]);
        } finally {
          direct.disconnect();
        }
      }
      const listed = await store.list({ limit: 1000 });
      expect(listed.nextCursor).toBeNull();
      expect(await store.count()).toBe(listed.tasks.length);

      // new creates land on every master, the restarted one included
      for (let master = 0; master < MASTERS; master++) {
        const taskId = idOn(store, owners, master, 'after-restart');
        expect((await store.create({ taskId })).version).toBe(1);
        const node = cluster.nodes[master]!;
        const direct = new Redis({ host: node.host, port: node.port });
        try {
          expect(await direct.exists(store.keyLayout.taskKey(taskId))).toBe(1);
        } finally {
          direct.disconnect();
        }
      }
      expect(await store.count()).toBe(listed.tasks.length + MASTERS);
      await store.clear();
    } finally {
      await victim.start().catch(() => {});
      await store.close();
    }
  });

  it('a frozen master fails the calls to its slots with BACKEND_UNAVAILABLE within the timeout; after thaw all works', async () => {
    const { store, owners } = await spreadStore('freeze');
    const frozenIndex = 2;
    const frozen = cluster.servers[frozenIndex]!;
    try {
      await untilHealthy(store, 15_000);
      const onFrozen = await store.create({ taskId: idOn(store, owners, frozenIndex, 'frozen') });
      const onOther = await store.create({ taskId: idOn(store, owners, 0, 'other') });
      const createdWhileFrozen = idOn(store, owners, frozenIndex, 'frozen-new');
      frozen.freeze(); // SIGSTOP
      let health: Timed<{ ok: boolean; detail?: string }>;
      let calls: Timed<unknown>[];
      let others: Timed<unknown>[];
      try {
        [health, calls, others] = await Promise.all([
          timed(() => store.healthCheck()),
          Promise.all([
            timed(() => store.load(onFrozen.taskId)),
            timed(() => store.patch(onFrozen.taskId, { status: 'running' })),
            timed(() => store.create({ taskId: createdWhileFrozen })),
            timed(() => store.list()),
            timed(() => store.countActive()),
          ]),
          Promise.all([
            timed(() => store.load(onOther.taskId)),
            timed(() => store.patch(onOther.taskId, { status: 'running' })),
          ]),
        ]);
      } finally {
        frozen.thaw(); // SIGCONT
      }
      log(
        `frozen master ${frozenIndex}:\n  health: ${describeOutcome(health)} ${JSON.stringify(health.value)}\n` +
          `${calls.map((c) => `  its slots: ${describeOutcome(c)}`).join('\n')}\n` +
          `${others.map((c) => `  another master's: ${describeOutcome(c)}`).join('\n')}`,
      );
      for (const { ms, error } of calls) {
        expect(codeOf(error), String(error)).toBe('BACKEND_UNAVAILABLE');
        expect(ms).toBeLessThan(SETTLE_MS);
      }
      for (const { ms } of others) expect(ms).toBeLessThan(SETTLE_MS);
      expect(health.error).toBeNull();
      expect(health.value).toMatchObject({ ok: false });
      expect(health.value!.detail).toMatch(/BACKEND_UNAVAILABLE/);
      expect(health.ms).toBeLessThan(SETTLE_MS);

      await untilHealthy(store, 10_000);
      // the frozen writes may or may not have run (the server had them): never in part, never twice
      const loaded = await store.load(onFrozen.taskId);
      expect([1, 2]).toContain(loaded!.version);
      const second = await store.load(createdWhileFrozen);
      if (second !== null) expect(second.version).toBe(1);
      const patched = await store.patch(onFrozen.taskId, { status: 'completed' });
      expect(patched.version).toBe(loaded!.version + 1);
      expect((await store.create({ taskId: idOn(store, owners, frozenIndex, 'after-thaw') })).version).toBe(
        1,
      );
      await store.clear();
    } finally {
      try {
        frozen.thaw();
      } catch {
        // not running
      }
      await store.close();
    }
  });
});
