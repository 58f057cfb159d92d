/** A client or cluster passed in is used as it is and never closed by the store. */
import { type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.destroy();
});

describe('client ownership', () => {
  it('a store on a client you pass in never closes it', async () => {
    const client = new Redis(server.url);
    const store = new RedisTaskStore({ client, namespace: 'owned-by-caller' });
    await store.create({ taskId: 'x' });
    await store.clear();
    await store.close();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('a lazily connecting client is connected on first use; a keyPrefix on it is honoured', async () => {
    const client = new Redis(server.url, { lazyConnect: true, keyPrefix: 'app:' });
    const store = new RedisTaskStore({ client, namespace: 'lazy' });
    const created = await store.create({
      taskId: 'x',
      items: [{ requestId: 'r', role: 'user', content: 1, createdAt: new Date() }],
    });
    expect(await store.loadByRequestId('r')).toEqual(created);
    expect((await store.list()).tasks).toEqual([created]);
    const raw = new Redis(server.url);
    expect(await raw.exists(`app:${store.keyLayout.buckets[0]!.prefix}t:x`)).toBe(1);
    raw.disconnect();
    await store.clear();
    await store.close();
    client.disconnect();
  });

  it('a client closed by its owner makes calls fail with BACKEND_UNAVAILABLE, not hang', async () => {
    const client = new Redis(server.url);
    const store = new RedisTaskStore({ client, namespace: 'closed-by-owner' });
    await store.create({ taskId: 'x' });
    await client.quit();
    await expect(store.load('x')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await store.close();
  });
});
