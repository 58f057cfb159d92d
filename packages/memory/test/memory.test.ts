import { fileURLToPath } from 'node:url';
import { type AgentTask, createTaskStore, TaskStoreConfigError, TaskStoreError } from '@taskvault/core';
import { resolveConfig, validateNewTask } from '@taskvault/core/adapter';
import { describe, expect, it } from 'vitest';
import { createFromConfig, MemoryRegistry, MemoryTaskStore } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

const sample = (taskId = 'task-1'): Parameters<MemoryTaskStore['create']>[0] => ({
  taskId,
  items: [{ requestId: 'r1', role: 'user', content: { text: 'hi', parts: [1, 2] }, createdAt: new Date(1) }],
  data: { nested: { list: [1, { deep: true }] } },
});

describe('memory store: copies', () => {
  it('every read returns a fresh copy that shares no object or Date with another read', async () => {
    await using store = new MemoryTaskStore();
    await store.create(sample());
    const a = (await store.load('task-1'))!;
    const b = (await store.load('task-1'))!;
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.data.nested).not.toBe(b.data.nested);
    expect(a.items[0]).not.toBe(b.items[0]);
    expect(a.items[0]!.content).not.toBe(b.items[0]!.content);
    expect(a.items[0]!.createdAt).not.toBe(b.items[0]!.createdAt);
    expect(a.createdAt).not.toBe(b.createdAt);
  });

  it('the task returned by create, update and patch is not the stored object', async () => {
    await using store = new MemoryTaskStore();
    const created = await store.create(sample());
    (created.data.nested as { list: unknown[] }).list.push('x');
    const updated = await store.update({ ...created, data: { v: [1] } });
    (updated.data.v as number[]).push(2);
    const patched = await store.patch('task-1', { data: { w: { k: 1 } } });
    (patched.data.w as { k: number }).k = 99;
    patched.items.length = 0;
    expect(await store.load('task-1')).toMatchObject({
      data: { v: [1], w: { k: 1 } },
      items: [{ requestId: 'r1' }],
    });
  });

  it('an enumerable property added to Object.prototype does not leak into copies', async () => {
    await using store = new MemoryTaskStore();
    await store.create(sample());
    const proto = Object.prototype as Record<string, unknown>;
    proto.leaked = 1;
    try {
      const loaded = await store.load('task-1');
      expect(Object.keys(loaded!.data)).toEqual(['nested']);
    } finally {
      delete proto.leaked;
    }
  });
});

describe('memory store: registries', () => {
  it('stores without a registry each keep their own tasks, even on the same namespace', async () => {
    await using a = new MemoryTaskStore({ namespace: 'same' });
    await using b = new MemoryTaskStore({ namespace: 'same' });
    await a.create(sample());
    expect(await b.load('task-1')).toBeNull();
    expect(a.registry).not.toBe(b.registry);
  });

  it('stores given the same registry share the tasks of a namespace, and only of that namespace', async () => {
    const registry = new MemoryRegistry();
    await using writer = new MemoryTaskStore({ namespace: 'ns-a', registry });
    await using reader = new MemoryTaskStore({ namespace: 'ns-a', registry });
    await using other = new MemoryTaskStore({ namespace: 'ns-b', registry });
    const created = await writer.create(sample());
    expect(await reader.load('task-1')).toEqual(created);
    expect(await reader.loadByRequestId('r1')).toEqual(created);
    const patched = await reader.patch('task-1', { status: 'running' });
    expect(await writer.load('task-1')).toEqual(patched);
    expect(await other.load('task-1')).toBeNull();
    expect(await other.count()).toBe(0);
    expect(registry.namespaces().sort()).toEqual(['ns-a', 'ns-b']);
  });

  it('closing a store on a shared registry leaves the tasks to the other stores', async () => {
    const registry = new MemoryRegistry();
    const first = new MemoryTaskStore({ namespace: 'kept', registry });
    await first.create(sample());
    await first.close();
    await using second = new MemoryTaskStore({ namespace: 'kept', registry });
    expect(await second.count()).toBe(1);
  });

  it('closing a store with a private registry frees its tasks', async () => {
    const store = new MemoryTaskStore({ namespace: 'private' });
    await store.create(sample());
    await store.close();
    expect(store.registry.table('private').tasks.size).toBe(0);
  });

  it('a registry that is not a MemoryRegistry is a config error', () => {
    expect(() => new MemoryTaskStore({ registry: {} as MemoryRegistry })).toThrow(TaskStoreConfigError);
  });
});

describe('memory store: createFromConfig and the factory', () => {
  it('createFromConfig takes namespace, ttlMs and maxTaskBytes from the resolved config', async () => {
    const config = resolveConfig({ namespace: 'from-config', ttl: '15m', maxTaskBytes: 4096 }, {});
    await using store = createFromConfig(config);
    expect(store).toBeInstanceOf(MemoryTaskStore);
    expect(store.backend).toBe('memory');
    expect(store.namespace).toBe('from-config');
    expect(store.ttlMs).toBe(15 * 60_000);
    expect(store.maxTaskBytes).toBe(4096);
    const created = await store.create(sample());
    expect(created.expiresAt!.getTime() - created.createdAt.getTime()).toBe(15 * 60_000);
  });

  it('createFromConfig uses options.registry to share tasks, and rejects anything else there', async () => {
    const registry = new MemoryRegistry();
    const config = resolveConfig({ namespace: 'shared', options: { registry } }, {});
    await using a = createFromConfig(config);
    await using b = createFromConfig(config);
    await a.create(sample());
    expect(await b.count()).toBe(1);
    const bad = resolveConfig({ options: { registry: new Map() } }, {});
    expect(() => createFromConfig(bad)).toThrow(TaskStoreConfigError);
    try {
      createFromConfig(bad);
    } catch (error) {
      expect((error as TaskStoreError).code).toBe('CONFIG_INVALID');
      expect((error as TaskStoreError).path).toBe('config.options.registry');
    }
  });

  it('createTaskStore() with an empty environment builds a MemoryTaskStore on namespace default', async () => {
    await using store = await createTaskStore({}, { env: {} });
    expect(store).toBeInstanceOf(MemoryTaskStore);
    expect(store.backend).toBe('memory');
    expect((store as MemoryTaskStore).namespace).toBe('default');
    expect((store as MemoryTaskStore).ttlMs).toBeNull();
    expect((await store.healthCheck()).ok).toBe(true);
  });

  it('createTaskStore() reads TASKVAULT_NAMESPACE and TASKVAULT_TTL for the memory backend', async () => {
    await using store = await createTaskStore(
      {},
      { env: { TASKVAULT_BACKEND: 'memory', TASKVAULT_NAMESPACE: 'env-ns', TASKVAULT_TTL: '90s' } },
    );
    expect((store as MemoryTaskStore).namespace).toBe('env-ns');
    expect((store as MemoryTaskStore).ttlMs).toBe(90_000);
  });

  it('TASKVAULT_FALLBACK=memory with an unusable redis backend falls back to memory, with a warning', async () => {
    const warnings: string[] = [];
    const env = {
      TASKVAULT_BACKEND: 'redis',
      TASKVAULT_REDIS_URL: 'redis://127.0.0.1:1',
      TASKVAULT_FALLBACK: 'memory',
    };
    // Whether @taskvault/redis is installed here or not, redis cannot be used: either the
    // package is missing or nothing listens on port 1. Both must end in memory, loudly.
    await using store = await createTaskStore({}, { env, cwd: packageDir, warn: (m) => warnings.push(m) });
    expect(store).toBeInstanceOf(MemoryTaskStore);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/redis backend could not be used/);
    expect(warnings[0]).toMatch(/IN MEMORY ONLY/);
  }, 30_000);

  it('TASKVAULT_FALLBACK=memory with a custom backend that fails to build falls back, with a warning', async () => {
    const warnings: string[] = [];
    const env = {
      TASKVAULT_MODULE: './test/fixtures/failing-store.mjs',
      TASKVAULT_EXPORT: 'FailingStore',
      TASKVAULT_FALLBACK: 'memory',
      TASKVAULT_NAMESPACE: 'fell-back',
    };
    await using store = await createTaskStore({}, { env, cwd: packageDir, warn: (m) => warnings.push(m) });
    expect(store).toBeInstanceOf(MemoryTaskStore);
    expect((store as MemoryTaskStore).namespace).toBe('fell-back');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/custom backend could not be used/);
  });

  it('TASKVAULT_FALLBACK=memory with a custom backend whose health check fails falls back too', async () => {
    const warnings: string[] = [];
    const env = {
      TASKVAULT_MODULE: './test/fixtures/failing-store.mjs',
      TASKVAULT_EXPORT: 'unhealthyStore',
      TASKVAULT_FALLBACK: 'memory',
    };
    await using store = await createTaskStore({}, { env, cwd: packageDir, warn: (m) => warnings.push(m) });
    expect(store).toBeInstanceOf(MemoryTaskStore);
    expect(warnings[0]).toMatch(/fixture says no/);
  });

  it('without TASKVAULT_FALLBACK a custom backend that fails to build is an error, not memory', async () => {
    const env = { TASKVAULT_MODULE: './test/fixtures/failing-store.mjs', TASKVAULT_EXPORT: 'FailingStore' };
    await expect(createTaskStore({}, { env, cwd: packageDir })).rejects.toThrow(
      /cannot reach the fixture backend/,
    );
  });
});

describe('memory store: internals', () => {
  it('the size kept after patches is what core counts for the whole task', async () => {
    const registry = new MemoryRegistry();
    await using store = new MemoryTaskStore({ namespace: 'sizes', registry });
    await store.create(sample('sized'));
    await store.patch('sized', { data: { nested: 'smaller now', added: { list: ['é', 2, null, true] } } });
    await store.patch('sized', {
      appendItems: [{ requestId: 'r2', role: 'tool', content: ['x', { y: 1.5 }], createdAt: new Date(2) }],
    });
    // JSON.parse makes '__proto__' an own key; an object literal would set the prototype instead.
    await store.patch('sized', { data: JSON.parse('{"__proto__": {"x": 1}, "a b": "c"}') });
    const task = (await store.load('sized'))!;
    const counted = validateNewTask(
      { taskId: task.taskId, items: task.items, data: task.data },
      new Date(),
      null,
      { maxTaskBytes: 1 << 30 },
    ).bytes;
    expect(registry.table('sizes').tasks.get('sized')?.bytes).toBe(counted);
  });

  it('cleanup of many tasks works in batches and lets other calls run in between', async () => {
    class SmallBatches extends MemoryTaskStore {
      protected override readonly cleanupBatchSize = 1000;
    }
    await using store = new SmallBatches();
    for (let i = 0; i < 2500; i++) await store.create({ taskId: `t${i}`, status: 'completed' });
    await store.create({ taskId: 'active', status: 'running' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const order: string[] = [];
    const cleaning = store.cleanup({ olderThan: 0 }).then((n) => {
      order.push('cleanup');
      return n;
    });
    const loading = store.load('active').then((t) => {
      order.push('load');
      return t;
    });
    expect(await cleaning).toBe(2500);
    expect((await loading)?.taskId).toBe('active');
    expect(order).toEqual(['load', 'cleanup']);
    expect(await store.count()).toBe(1);
  });

  it('an unexpected error inside the store is reported as BACKEND_ERROR, never thrown raw', async () => {
    class BrokenStore extends MemoryTaskStore {
      protected override async readTask(): Promise<AgentTask | null> {
        throw new RangeError('boom');
      }
    }
    await using store = new BrokenStore();
    const error = await store.load('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskStoreError);
    expect((error as TaskStoreError).code).toBe('BACKEND_ERROR');
    expect((error as TaskStoreError).message).toMatch(/boom/);
  });
});
