/** Every peer of PEERS.md, by backend, in the order the report lists them. */
import type { BackendName } from '../backends/types.js';
import { a2aMemory } from './a2a-memory.js';
import { bullmqPostgres } from './bullmq-postgres.js';
import { bullmqRedis } from './bullmq-redis.js';
import { keyvMemory } from './keyv-memory.js';
import { keyvPostgres } from './keyv-postgres.js';
import { keyvRedis } from './keyv-redis.js';
import { langgraphMemory } from './langgraph-memory.js';
import { langgraphPostgres } from './langgraph-postgres.js';
import type { Peer } from './types.js';

export const PEERS: { [B in BackendName]: readonly Peer[] } = {
  memory: [keyvMemory, a2aMemory, langgraphMemory],
  redis: [keyvRedis, bullmqRedis],
  // PEERS.md measures no peer on Redis Cluster.
  'redis-cluster': [],
  postgres: [keyvPostgres, langgraphPostgres, bullmqPostgres],
  // PEERS.md measures no peer on SQLite.
  sqlite: [],
};
