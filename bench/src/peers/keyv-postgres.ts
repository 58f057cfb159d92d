/** Keyv with `@keyv/postgres` (a `pg.Pool` of the raw side's size) on a database of its own. */
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import { peerSession } from './fixtures.js';
import { KEYV_CALLS, keyvCalls } from './keyv-calls.js';
import type { Peer } from './types.js';

export const keyvPostgres: Peer = {
  backend: 'postgres',
  label: 'Keyv 5.6.0 + @keyv/postgres 2.2.3',
  slug: 'keyv',
  calls: {
    create: `${KEYV_CALLS.create}: INSERT … ON CONFLICT DO UPDATE of a text row`,
    load: `${KEYV_CALLS.load}: SELECT by pk`,
    update: `${KEYV_CALLS.update}: INSERT … ON CONFLICT DO UPDATE`,
  },
  open: async ({ url, maxConcurrency }) => {
    const keyv = new Keyv({ store: new KeyvPostgres({ uri: url!, max: maxConcurrency }) });
    return peerSession(keyvCalls(keyv), maxConcurrency, () => keyv.disconnect());
  },
};
