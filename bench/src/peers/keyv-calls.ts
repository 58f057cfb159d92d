/** Keyv's calls, shared by its Map, Redis and PostgreSQL stores: `set` to create and update, `get` to load. */
import type Keyv from 'keyv';
import { type PeerCalls, peerDocument } from './fixtures.js';

/** What one call does, for the report. */
export const KEYV_CALLS = {
  create: 'keyv.set(id, doc)',
  load: 'keyv.get(id)',
  update: 'keyv.set(id, doc)',
} as const;

/** Keyv serializes the document (its default JSON serializer) on `set` and parses it on `get`. */
export function keyvCalls(keyv: Keyv): PeerCalls<boolean> {
  const doc = peerDocument('peer');
  return {
    insert: (taskId) => keyv.set(taskId, doc),
    read: (taskId) => keyv.get(taskId),
    write: (taskId) => keyv.set(taskId, doc),
  };
}
