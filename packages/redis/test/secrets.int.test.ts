/** Neither a password nor a connection URL ever appears in an error or a health detail. */
import { inspect } from 'node:util';
import { getFreePort, type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';
import { rejection } from './support/rejection.js';

const PASSWORD = 'pa55-w0rd-never-shown';

function expectNoSecret(text: string, url: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(url);
  expect(text).not.toContain(encodeURIComponent(PASSWORD));
}

describe('secrets', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedis();
    const admin = new Redis(server.url);
    await admin.config('SET', 'requirepass', 'the-right-one');
    admin.disconnect();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('an unreachable port: BACKEND_UNAVAILABLE fast, and no password or URL in message, cause or health', async () => {
    const port = await getFreePort();
    for (const url of [
      `redis://:${PASSWORD}@127.0.0.1:${port}/0`,
      `rediss://user:${PASSWORD}@127.0.0.1:${port}`,
    ]) {
      const store = new RedisTaskStore({ url, commandTimeoutMs: 500 });
      const started = Date.now();
      const error = await rejection(store.create({ taskId: 't' }));
      expect(Date.now() - started).toBeLessThan(1500);
      expect(error.code).toBe('BACKEND_UNAVAILABLE');
      expectNoSecret(error.message, url);
      expectNoSecret(inspect(error, { depth: 10 }), url);
      const health = await store.healthCheck();
      expect(health.ok).toBe(false);
      expect(health.detail).toMatch(/BACKEND_UNAVAILABLE/);
      expectNoSecret(health.detail!, url);
      await store.close();
    }
  });

  it('a wrong password: an error without the password, in message, cause or health detail', async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    const store = new RedisTaskStore({ url, commandTimeoutMs: 500 });
    const error = await rejection(store.load('t'));
    expect(['BACKEND_ERROR', 'BACKEND_UNAVAILABLE']).toContain(error.code);
    expectNoSecret(error.message, url);
    expectNoSecret(inspect(error, { depth: 10 }), url);
    const health = await store.healthCheck();
    expect(health.ok).toBe(false);
    expectNoSecret(health.detail!, url);
    await store.close();
  });

  it('the right password from the URL is used', async () => {
    const store = new RedisTaskStore({ url: `redis://:the-right-one@127.0.0.1:${server.port}/2` });
    await store.create({ taskId: 'authed' });
    expect((await store.load('authed'))?.taskId).toBe('authed');
    await store.clear();
    await store.close();
  });
});
