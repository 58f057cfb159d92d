/** Keyv with `@keyv/redis` (node-redis client) on the backend's redis-server. */
import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import { peerSession } from './fixtures.js';
import { KEYV_CALLS, keyvCalls } from './keyv-calls.js';
import type { Peer } from './types.js';

export const keyvRedis: Peer = {
  backend: 'redis',
  label: 'Keyv 5.6.0 + @keyv/redis 5.1.6',
  slug: 'keyv',
  calls: KEYV_CALLS,
  open: async ({ url, maxConcurrency }) => {
    const keyv = new Keyv({ store: new KeyvRedis(url!), namespace: 'bench-keyv' });
    return peerSession(keyvCalls(keyv), maxConcurrency, () => keyv.disconnect());
  },
};
