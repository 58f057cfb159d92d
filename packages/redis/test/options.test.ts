import { resolveConfig } from '@taskvault/core/adapter';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createFromConfig, RedisTaskStore, reconnectDelay } from '../src/index.js';

// Nothing listens here: stores built in these tests connect nowhere and are closed at once.
const NOWHERE = 'redis://127.0.0.1:1';

describe('options', () => {
  it('rejects contradicting or malformed options with CONFIG_INVALID', () => {
    const bad = [
      { url: 'http://x' },
      { url: 'not a url' },
      { shards: 0 },
      { shards: 1.5 },
      { keyPrefix: 'a{b}' },
      { commandTimeoutMs: 0 },
      { cluster: [] },
      { cluster: ['nohost'] },
    ];
    for (const options of bad) {
      expect(() => new RedisTaskStore(options as never), JSON.stringify(options)).toThrowError(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('a store opens its own client with the fault settings, and closes it', async () => {
    const store = RedisTaskStore.fromUrl(NOWHERE, { namespace: 'n', commandTimeoutMs: 1234 });
    const options = (store.client as import('ioredis').Redis).options;
    expect(options).toMatchObject({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      reconnectOnError: null,
      commandTimeout: 1234,
    });
    await store.close();
    expect(store.client.status).toBe('end');
  });

  it('reconnects forever with a capped backoff', () => {
    expect([1, 2, 3, 4, 5, 6, 1000].map(reconnectDelay)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('createFromConfig maps url, shards, keyPrefix, namespace and options', async () => {
    const config = resolveConfig(
      { backend: 'redis', namespace: 'ns', redis: { url: NOWHERE, shards: 4, keyPrefix: 'app' }, ttl: '2h' },
      {},
    );
    const store = createFromConfig(config);
    expect(store.namespace).toBe('ns');
    expect(store.ttlMs).toBe(7_200_000);
    expect(store.keyLayout.buckets).toHaveLength(4);
    expect(store.keyLayout.buckets[0]!.prefix).toMatch(/^\{app:/);
    await store.close();
  });

  it('createFromConfig with cluster nodes opens a Cluster client', async () => {
    const config = resolveConfig({ backend: 'redis', redis: { cluster: ['127.0.0.1:1'], shards: 8 } }, {});
    const store = createFromConfig(config);
    expect(store.client).toBeInstanceOf(Cluster);
    await store.close();
  });
});
