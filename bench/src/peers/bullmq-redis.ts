/** BullMQ on the backend's redis-server, with its own ioredis connection (BullMQ's defaults). */
import { Queue } from 'bullmq';
import { BULLMQ_CALLS, BULLMQ_QUEUE, bullmqCalls } from './bullmq-calls.js';
import { peerSession } from './fixtures.js';
import type { Peer } from './types.js';

export const bullmqRedis: Peer = {
  backend: 'redis',
  label: 'BullMQ 6.7.6 (Redis)',
  slug: 'bullmq',
  calls: BULLMQ_CALLS,
  open: async ({ url, maxConcurrency }) => {
    const { hostname, port } = new URL(url!);
    const queue = new Queue(BULLMQ_QUEUE, { connection: { host: hostname, port: Number(port) } });
    await queue.waitUntilReady();
    return peerSession(bullmqCalls(queue), maxConcurrency, () => queue.close());
  },
};
