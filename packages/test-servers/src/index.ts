/**
 * @taskvault/test-servers (private): throwaway redis-server, Redis Cluster and PostgreSQL processes on
 * free loopback ports, for the adapters' tests and the benchmarks. Every process started here dies
 * with the test process; fault injection (stop/kill/freeze) works only on servers spawned here.
 */
export { findExecutable } from './binaries.js';
export { buildIfStale } from './built-package.js';
export { canSpawnPostgres, canSpawnRedis, ENV, serverUnavailableHint } from './hints.js';
export { getFreePort, getFreePorts } from './ports.js';
export { type PostgresServerHandle, postgresForTests, startPostgres } from './postgres.js';
export { type RedisServerHandle, redisForTests, type StartRedisOptions, startRedis } from './redis.js';
export { type RedisClusterHandle, startRedisCluster } from './redis-cluster.js';
export { RespError, type RespValue, redisCommand } from './resp.js';
export {
  checkOneSweeper,
  followSweepChild,
  type OneSweeperOutcome,
  type OneSweeperScenario,
  type SweepChild,
} from './sweep-processes.js';
export type { Endpoint } from './types.js';
