import { ENV, envValue } from './hints.js';
import { LOOPBACK } from './ports.js';
import { type RedisServerHandle, type SpawnedRedis, spawnRedis } from './redis.js';
import { redisCommand } from './resp.js';
import type { Endpoint } from './types.js';
import { waitUntil } from './wait.js';

export interface RedisClusterHandle {
  /** The masters, each reachable as a cluster entry point. */
  readonly nodes: Endpoint[];
  /** True when it came from TASKVAULT_TEST_REDIS_CLUSTER. */
  readonly external: boolean;
  /**
   * The spawned node servers, in the order of `nodes` (empty for an external cluster), so a test can
   * stop, kill or freeze one node.
   */
  readonly servers: readonly RedisServerHandle[];
  /** Kills every node and removes their dirs; no-op for an external cluster. */
  destroy(): Promise<void>;
}

const SLOTS = 16384;

/** Parses "host:port,host:port" (TASKVAULT_TEST_REDIS_CLUSTER). */
function parseNodeList(value: string): Endpoint[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      const port = Number(entry.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port) || port <= 0) {
        throw new Error(
          `${ENV.redisCluster}: expected host:port,host:port,... but got ${JSON.stringify(entry)}`,
        );
      }
      return { host: entry.slice(0, at), port };
    });
}

/** CLUSTER INFO as a map ("cluster_state" -> "ok"). */
async function clusterInfo(node: Endpoint): Promise<Map<string, string>> {
  const text = String(await redisCommand(node, ['CLUSTER', 'INFO']));
  const info = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) info.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return info;
}

/**
 * Forms the cluster by hand over RESP rather than with `redis-cli --cluster create`: no prompt to
 * answer, no dependency on redis-cli's flags across versions, and it is three commands per node.
 */
async function formCluster(servers: SpawnedRedis[]): Promise<void> {
  const count = servers.length;
  await Promise.all(
    servers.map(async (server, i) => {
      const first = Math.floor((i * SLOTS) / count);
      const last = Math.floor(((i + 1) * SLOTS) / count) - 1;
      await redisCommand(server, ['CLUSTER', 'ADDSLOTSRANGE', first, last]);
      // distinct epochs up front, as redis-cli does, so the nodes need not resolve epoch collisions
      await redisCommand(server, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
    }),
  );
  const [first, ...rest] = servers;
  for (const server of rest) {
    // the bus port is explicit (--cluster-port), so MEET must name it rather than assume port+10000
    await redisCommand(first!, ['CLUSTER', 'MEET', LOOPBACK, server.port, server.clusterPort!]);
  }
  const last = new Map<number, string>();
  await waitUntil(
    async () => {
      const infos = await Promise.all(servers.map((s) => clusterInfo(s)));
      let ready = true;
      infos.forEach((info, i) => {
        const summary = ['cluster_state', 'cluster_slots_assigned', 'cluster_known_nodes', 'cluster_size']
          .map((k) => `${k}:${info.get(k)}`)
          .join(' ');
        last.set(servers[i]!.port, summary);
        ready &&=
          info.get('cluster_state') === 'ok' &&
          info.get('cluster_slots_assigned') === String(SLOTS) &&
          info.get('cluster_known_nodes') === String(count) &&
          info.get('cluster_size') === String(count);
      });
      return ready;
    },
    {
      what: `a ${count}-master Redis Cluster to reach cluster_state:ok on every node`,
      intervalMs: 100,
      details: () => [...last].map(([port, s]) => `  ${LOOPBACK}:${port} ${s}`).join('\n'),
    },
  );
}

/**
 * Spawns `masters` (default 3) cluster-enabled redis-servers on free loopback ports, assigns each an
 * equal share of the slots and waits until every node sees the whole cluster as healthy.
 * TASKVAULT_TEST_REDIS_CLUSTER="host:port,..." returns that cluster instead (external).
 */
export async function startRedisCluster(
  opts: {
    masters?: number;
    /**
     * `appendonly yes` + `appendfsync always` on every node, so a node killed with SIGKILL and
     * started again (same port and dir, so its nodes.conf makes it rejoin as the same node) still
     * holds every write it acknowledged: what a cluster fault test needs to check resolved writes.
     */
    appendOnly?: boolean;
    /**
     * Extra redis-server arguments for every node, e.g. a short `--cluster-node-timeout` so a fault
     * test sees the survivors declare a killed master failed (and answer CLUSTERDOWN) within seconds.
     */
    args?: string[];
  } = {},
): Promise<RedisClusterHandle> {
  const external = envValue(ENV.redisCluster);
  if (external !== undefined) {
    const nodes = parseNodeList(external);
    return { nodes, external: true, servers: [], destroy: async () => {} };
  }
  const masters = opts.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1 || masters > SLOTS) {
    throw new Error(`startRedisCluster: masters must be an integer from 1 to ${SLOTS}, got ${masters}`);
  }
  const started = await Promise.allSettled(
    Array.from({ length: masters }, () =>
      spawnRedis({ clusterBus: true, appendOnly: opts.appendOnly ?? false, args: opts.args ?? [] }),
    ),
  );
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const destroy = async () => {
    await Promise.all(servers.map((s) => s.destroy()));
  };
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    await formCluster(servers);
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    nodes: servers.map((s) => ({ host: s.host, port: s.port })),
    external: false,
    servers,
    destroy,
  };
}
