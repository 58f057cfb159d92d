/** Keyv with its default store, a `Map` in the process. */
import Keyv from 'keyv';
import { peerSession } from './fixtures.js';
import { KEYV_CALLS, keyvCalls } from './keyv-calls.js';
import type { Peer } from './types.js';

export const keyvMemory: Peer = {
  backend: 'memory',
  label: 'Keyv 5.6.0 (Map store)',
  slug: 'keyv',
  calls: KEYV_CALLS,
  open: async ({ maxConcurrency }) => {
    const keyv = new Keyv();
    return peerSession(keyvCalls(keyv), maxConcurrency, () => keyv.disconnect());
  },
};
