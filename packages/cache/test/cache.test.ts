/** The cache's own rules, on the memory store: freshness, races, bounds, copies, the feed's state. */
import { withCache } from '@taskvault/cache';
import { expectTaskError, item, newTask, sleep, uniqueId } from '@taskvault/conformance';
import { TaskLoadError, TaskStoreConfigError, type TaskStoreError } from '@taskvault/core';
import { MemoryTaskStore } from '@taskvault/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { BreakableFeed, FailingReads, registry, SlowReads, until } from './support.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

/** A cached store and a plain one (the "other process") on one fresh namespace. */
async function pair(
  options: Parameters<typeof withCache>[1] = {},
  Inner: new (o: { namespace: string; registry: typeof registry }) => MemoryTaskStore = MemoryTaskStore,
) {
  const namespace = uniqueId('ns');
  const inner = new Inner({ namespace, registry });
  const cached = withCache(inner, options);
  const other = new MemoryTaskStore({ namespace, registry });
  opened.push(cached, other);
  await until(() => cached.state === 'live');
  return { inner, cached, other };
}

describe('reads from memory', () => {
  it('a second load is a hit, and a hit is the caller’s own copy', async () => {
    const { cached } = await pair();
    const task = await cached.create(newTask({ data: { n: 1 }, items: [item('r1')] }));
    const first = await cached.load(task.taskId);
    expect(first).toEqual(task);
    first!.data.n = 99;
    first!.items.push(item('mutated'));
    const second = await cached.load(task.taskId);
    expect(second).toEqual(task);
    expect(second).not.toBe(first);
    expect(cached.stats().hits).toBe(2);
    expect(cached.stats().misses).toBe(0);
  });

  it('the task a write returned may be mutated by the caller without touching the cache', async () => {
    const { cached } = await pair();
    const task = await cached.create(newTask({ data: { n: 1 } }));
    const expected = structuredClone(task);
    task.data.n = 2;
    expect(await cached.load(task.taskId)).toEqual(expected);
  });

  it('loadByRequestId is served from memory, and follows another task gaining the request id', async () => {
    const { cached, other } = await pair();
    const requestId = uniqueId('req');
    const late = await cached.create(newTask({ items: [item(requestId)] }));
    expect(await cached.loadByRequestId(requestId)).toEqual(late);
    expect(await cached.loadByRequestId(requestId)).toEqual(late);
    expect(cached.stats().hits).toBe(1);
    // an earlier-created task gains the request id in another process: the answer changes
    const early = await other.create(newTask({ createdAt: new Date(Date.now() - 60_000) }));
    const gained = await other.patch(early.taskId, { appendItems: [item(requestId)] });
    await until(async () => (await cached.loadByRequestId(requestId))?.taskId === early.taskId);
    expect(await cached.loadByRequestId(requestId)).toEqual(gained);
  });

  it('another process’s write is seen once the feed delivers it; versions never go back', async () => {
    const { cached, other } = await pair();
    const task = await cached.create(newTask());
    let seen = 1;
    for (let i = 0; i < 20; i++) {
      const written = await other.patch(task.taskId, { data: { i } });
      await until(async () => {
        const now = (await cached.load(task.taskId))!;
        expect(now.version).toBeGreaterThanOrEqual(seen);
        seen = now.version;
        return now.version === written.version;
      });
      expect(await cached.load(task.taskId)).toEqual(written);
    }
    expect(cached.stats().invalidations).toBeGreaterThanOrEqual(20);
  });
});

describe('read-your-writes', () => {
  it('every load after a write resolves sees that write or a later one, under interleaved writers', async () => {
    const { cached, other } = await pair();
    const task = await cached.create(newTask());
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 25; i++) {
        const store = (i + w) % 3 === 0 ? other : cached;
        const written = await store.patch(task.taskId, { appendItems: [item(`${w}-${i}`)] });
        if (store === cached) {
          const read = (await cached.load(task.taskId))!;
          expect(read.version).toBeGreaterThanOrEqual(written.version);
          const byRequest = (await cached.loadByRequestId(`${w}-${i}`))!;
          expect(byRequest.version).toBeGreaterThanOrEqual(written.version);
        }
        if (i % 5 === 0) await sleep(1);
      }
    });
    const readers = Array.from({ length: 2 }, async () => {
      let last = 0;
      for (let i = 0; i < 60; i++) {
        const read = (await cached.load(task.taskId))!;
        expect(read.version).toBeGreaterThanOrEqual(last);
        last = read.version;
        await sleep(0);
      }
    });
    await Promise.all([...writers, ...readers]);
    const final = (await other.load(task.taskId))!;
    expect(final.version).toBe(101);
    await until(async () => (await cached.load(task.taskId))?.version === 101);
  });

  it('a delete is seen at once by the process that made it, and a recreate too', async () => {
    const { cached } = await pair();
    const task = await cached.create(newTask({ data: { life: 1 } }));
    await cached.load(task.taskId);
    await cached.delete(task.taskId);
    expect(await cached.load(task.taskId)).toBeNull();
    const again = await cached.create(newTask({ taskId: task.taskId, data: { life: 2 } }));
    expect(await cached.load(task.taskId)).toEqual(again);
  });

  it('cleanup and clear empty the cache', async () => {
    const { cached } = await pair();
    const task = await cached.create(newTask({ status: 'failed' }));
    await cached.load(task.taskId);
    expect(await cached.cleanup({ olderThan: new Date(Date.now() + 1000) })).toBe(1);
    expect(await cached.load(task.taskId)).toBeNull();
    const kept = await cached.create(newTask());
    await cached.load(kept.taskId);
    expect(await cached.clear()).toBe(1);
    expect(await cached.load(kept.taskId)).toBeNull();
  });
});

describe('races with the feed', () => {
  it('a slow load that read before a change and lands after it is not cached', async () => {
    const { inner, cached, other } = await pair({}, SlowReads);
    const task = await other.create(newTask());
    const hold = (inner as SlowReads).holdNextRead();
    const slow = cached.load(task.taskId);
    await hold.read;
    const newer = await other.patch(task.taskId, { data: { newer: true } });
    // let the feed tell the cache of the change before the slow read lands
    await sleep(50);
    hold.release();
    expect((await slow)?.version).toBe(1);
    // had the stale answer been cached, this would be a hit on version 1
    const hits = cached.stats().hits;
    expect(await cached.load(task.taskId)).toEqual(newer);
    expect(cached.stats().hits).toBe(hits);
    expect(await cached.load(task.taskId)).toEqual(newer); // the fresh answer is held
    expect(cached.stats().hits).toBe(hits + 1);
  });

  it('a load that failed meanwhile does not keep a concurrent load of that task from being cached', async () => {
    const { inner, cached, other } = await pair({}, FailingReads);
    const task = await other.create(newTask());
    const hold = (inner as FailingReads).holdNextRead();
    const slow = cached.load(task.taskId);
    await hold.read;
    (inner as FailingReads).failNext = true;
    await expectTaskError(cached.load(task.taskId), { type: TaskLoadError, code: 'BACKEND_UNAVAILABLE' });
    hold.release();
    expect(await slow).toEqual(task);
    // the failed read saw nothing, so the slow read's answer (nothing changed) is held
    const hits = cached.stats().hits;
    expect(await cached.load(task.taskId)).toEqual(task);
    expect(cached.stats().hits).toBe(hits + 1);
  });

  it('a slow load of a task deleted and created anew meanwhile is not cached (same version, other task)', async () => {
    const { inner, cached, other } = await pair({}, SlowReads);
    const task = await other.create(newTask({ data: { life: 1 } }));
    const hold = (inner as SlowReads).holdNextRead();
    const slow = cached.load(task.taskId);
    await hold.read;
    await other.delete(task.taskId);
    const reborn = await other.create(newTask({ taskId: task.taskId, data: { life: 2 } }));
    expect(reborn.version).toBe(task.version);
    await sleep(50);
    hold.release();
    expect((await slow)?.data).toEqual({ life: 1 });
    const hits = cached.stats().hits;
    expect(await cached.load(task.taskId)).toEqual(reborn);
    expect(cached.stats().hits).toBe(hits); // a miss: the first life's answer was not cached
    expect(await cached.load(task.taskId)).toEqual(reborn);
  });

  it('recreate after delete in another process evicts the held task though versions match', async () => {
    const { cached, other } = await pair();
    const task = await other.create(newTask({ data: { life: 1 } }));
    expect(await cached.load(task.taskId)).toEqual(task);
    await other.delete(task.taskId);
    const reborn = await other.create(newTask({ taskId: task.taskId, data: { life: 2 } }));
    await until(async () => (await cached.load(task.taskId))?.data.life === 2);
    expect(await cached.load(task.taskId)).toEqual(reborn);
  });

  it('a slow loadByRequestId that lands after any change is not cached', async () => {
    const { inner, cached, other } = await pair({}, SlowReads);
    const requestId = uniqueId('req');
    const late = await other.create(newTask({ items: [item(requestId)] }));
    const hold = (inner as SlowReads).holdNextRead();
    const slow = cached.loadByRequestId(requestId);
    await hold.read;
    const early = await other.create(
      newTask({ createdAt: new Date(Date.now() - 60_000), items: [item(requestId)] }),
    );
    await sleep(50);
    hold.release();
    expect((await slow)?.taskId).toBe(late.taskId);
    expect(await cached.loadByRequestId(requestId)).toEqual(early);
  });
});

describe('bounds', () => {
  it('maxEntries: the least recently used go first', async () => {
    const { cached } = await pair({ maxEntries: 3 });
    const tasks = [];
    for (let i = 0; i < 5; i++) tasks.push(await cached.create(newTask()));
    expect(cached.stats().entries).toBe(3);
    expect(cached.stats().evictions).toBe(2);
    const hits = cached.stats().hits;
    await cached.load(tasks[4]!.taskId);
    await cached.load(tasks[0]!.taskId);
    expect(cached.stats().hits).toBe(hits + 1);
  });

  it('maxBytes: the held size stays under it, and a larger task is never held', async () => {
    const { cached } = await pair({ maxBytes: 4000 });
    for (let i = 0; i < 10; i++) await cached.create(newTask({ data: { text: 'x'.repeat(900) } }));
    expect(cached.stats().bytes).toBeLessThanOrEqual(4000);
    expect(cached.stats().entries).toBeGreaterThan(0);
    const big = await cached.create(newTask({ data: { text: 'y'.repeat(5000) } }));
    await cached.load(big.taskId);
    const hits = cached.stats().hits;
    expect(await cached.load(big.taskId)).toEqual(big);
    expect(cached.stats().hits).toBe(hits);
  });

  it('options are checked: CONFIG_INVALID naming the option', () => {
    const inner = new MemoryTaskStore({ namespace: uniqueId('ns'), registry });
    opened.push(inner);
    for (const [options, path] of [
      [{ maxEntries: 0 }, 'maxEntries'],
      [{ maxEntries: 1.5 }, 'maxEntries'],
      [{ maxBytes: -1 }, 'maxBytes'],
      [{ maxBytes: '1mb' }, 'maxBytes'],
      [{ retention: { running: '1d' } }, 'retention.running'],
      [{ maxEntry: 10 }, 'maxEntry'],
    ] as const) {
      let thrown: unknown;
      try {
        withCache(inner, options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TaskStoreConfigError);
      expect((thrown as TaskStoreError).code).toBe('CONFIG_INVALID');
      expect((thrown as TaskStoreError).message).toContain(path);
    }
  });
});

describe('expiry', () => {
  it('a held task past its expiresAt is not served, nor past its retention', async () => {
    const namespace = uniqueId('ns');
    const inner = new MemoryTaskStore({ namespace, registry, retention: { completed: 300 }, sweep: false });
    const cached = withCache(inner);
    opened.push(cached);
    expect(cached.retention).toEqual({ completed: 300 });
    await until(() => cached.state === 'live');
    const expiring = await cached.create(newTask({ expiresAt: new Date(Date.now() + 300) }));
    const done = await cached.create(newTask({ status: 'completed' }));
    expect(await cached.load(expiring.taskId)).toEqual(expiring);
    expect(await cached.load(done.taskId)).toEqual(done);
    await sleep(450);
    expect(await cached.load(expiring.taskId)).toBeNull();
    expect(await cached.load(done.taskId)).toBeNull();
  });
});

describe('the feed', () => {
  it('until the feed is ready nothing is served from memory', async () => {
    const inner = new BreakableFeed({ namespace: uniqueId('ns'), registry });
    inner.broken = true;
    const cached = withCache(inner);
    opened.push(cached);
    const task = await cached.create(newTask());
    expect(await cached.load(task.taskId)).toEqual(task);
    expect(await cached.load(task.taskId)).toEqual(task);
    expect(cached.stats().hits).toBe(0);
    expect(['starting', 'down']).toContain(cached.state);
    inner.broken = false;
    await until(() => cached.state === 'live');
    await cached.load(task.taskId);
    expect(await cached.load(task.taskId)).toEqual(task);
    expect(cached.stats().hits).toBe(1);
  });

  it('a broken feed empties the cache and serves nothing; it restarts with backoff and serves again', async () => {
    const namespace = uniqueId('ns');
    const inner = new BreakableFeed({ namespace, registry });
    const other = new MemoryTaskStore({ namespace, registry });
    const cached = withCache(inner);
    opened.push(cached, other);
    await until(() => cached.state === 'live');
    const task = await cached.create(newTask());
    await cached.load(task.taskId);
    expect(cached.stats().hits).toBe(1);
    inner.broken = true;
    await until(() => cached.state === 'down');
    expect(cached.stats().entries).toBe(0);
    // a write elsewhere while the feed is down: never missed, as nothing is served from memory
    const written = await other.patch(task.taskId, { data: { during: 'outage' } });
    expect(await cached.load(task.taskId)).toEqual(written);
    expect(await cached.load(task.taskId)).toEqual(written);
    expect(cached.stats().hits).toBe(1);
    const watches = inner.watches;
    await sleep(400);
    expect(inner.watches).toBeGreaterThan(watches); // it keeps trying
    expect(inner.watches - watches).toBeLessThan(6); // with backoff: 100, 200 ms, ...
    inner.broken = false;
    await until(() => cached.state === 'live', 8000);
    await cached.load(task.taskId);
    expect(await cached.load(task.taskId)).toEqual(written);
    expect(cached.stats().hits).toBe(2);
  });

  it('close stops the watch, closes the inner store, and every call then rejects with STORE_CLOSED', async () => {
    const { inner, cached } = await pair();
    const task = await cached.create(newTask());
    await cached.close();
    await cached.close();
    expect(cached.state).toBe('closed');
    expect((inner as MemoryTaskStore).closed).toBe(true);
    await expectTaskError(cached.load(task.taskId), { type: TaskLoadError, code: 'STORE_CLOSED' });
    await expectTaskError(cached.loadByRequestId('r'), { type: TaskLoadError, code: 'STORE_CLOSED' });
  });
});
