/**
 * BullMQ's PostgreSQL backend (`createPostgresBackend`, new in BullMQ 6) on a database of its own,
 * with a pool of the raw side's size; its migrations run when the queue connects.
 */
import { createPostgresBackend, Queue } from 'bullmq';
import { BULLMQ_CALLS, BULLMQ_QUEUE, bullmqCalls } from './bullmq-calls.js';
import { peerSession } from './fixtures.js';
import type { Peer } from './types.js';

export const bullmqPostgres: Peer = {
  backend: 'postgres',
  label: 'BullMQ 6.7.6 (PostgreSQL backend)',
  slug: 'bullmq',
  calls: BULLMQ_CALLS,
  open: async ({ url, maxConcurrency }) => {
    const queue = new Queue(
      BULLMQ_QUEUE,
      { connection: { connectionString: url!, max: maxConcurrency, migrate: true } },
      createPostgresBackend,
    );
    try {
      await queue.waitUntilReady();
    } catch (error) {
      await queue.close();
      throw error;
    }
    return peerSession(bullmqCalls(queue), maxConcurrency, () => queue.close());
  },
};
