import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findPostgresBinDir } from '../src/binaries.js';
import {
  type Endpoint,
  getFreePort,
  type PostgresServerHandle,
  type RedisClusterHandle,
  type RedisServerHandle,
  redisCommand,
  redisForTests,
  startPostgres,
  startRedis,
  startRedisCluster,
} from '../src/index.js';
import { isPortOpen } from '../src/ports.js';
import { processTree } from '../src/process.js';

const execFileAsync = promisify(execFile);

const ping = (server: Endpoint, timeoutMs = 1000) => redisCommand(server, ['PING'], { timeoutMs });

/** Process state letter from /proc ('T' = stopped by SIGSTOP). */
const procState = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
};

describe('getFreePort', () => {
  it('returns a port nothing listens on', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
  });
});

describe('startRedis', () => {
  let redis: RedisServerHandle;
  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true });
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('answers PING on a loopback port', async () => {
    expect(redis.external).toBe(false);
    expect(redis.host).toBe('127.0.0.1');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(fs.existsSync(redis.dir)).toBe(true);
    expect(await ping(redis)).toBe('PONG');
  });

  it('stop() then start() answers again on the same port', async () => {
    const port = redis.port;
    await redis.stop();
    await expect(ping(redis)).rejects.toThrow();
    await redis.start();
    expect(redis.port).toBe(port);
    expect(await ping(redis)).toBe('PONG');
  });

  it('freeze() makes PING time out and thaw() resumes it', async () => {
    redis.freeze();
    await expect(ping(redis, 300)).rejects.toThrow(/no reply within 300 ms/);
    redis.thaw();
    expect(await ping(redis)).toBe('PONG');
  });

  it('with appendOnly, an acknowledged write survives kill() + start()', async () => {
    expect(await redisCommand(redis, ['SET', 'durable', 'yes'])).toBe('OK');
    await redis.kill();
    await redis.start();
    expect(await redisCommand(redis, ['GET', 'durable'])).toBe('yes');
  });

  it('destroy() stops the server and removes its dir', async () => {
    const other = await startRedis();
    await other.destroy();
    expect(fs.existsSync(other.dir)).toBe(false);
    expect(await isPortOpen(other.host, other.port)).toBe(false);
    await other.destroy(); // idempotent
  });
});

describe('redisForTests with TASKVAULT_TEST_REDIS_URL', () => {
  it('returns an external handle whose fault operations explain why they cannot work', async () => {
    const previous = process.env.TASKVAULT_TEST_REDIS_URL;
    process.env.TASKVAULT_TEST_REDIS_URL = 'redis://127.0.0.1:1';
    try {
      const redis = await redisForTests();
      expect(redis.external).toBe(true);
      expect(redis.port).toBe(1);
      await expect(redis.kill()).rejects.toThrow(/Fault tests need a server this package spawns/);
      expect(() => redis.freeze()).toThrow(/TASKVAULT_TEST_REDIS_URL/);
      await redis.destroy();
    } finally {
      if (previous === undefined) delete process.env.TASKVAULT_TEST_REDIS_URL;
      else process.env.TASKVAULT_TEST_REDIS_URL = previous;
    }
  });
});

describe('startRedisCluster', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('has 3 masters that all report cluster_state:ok and all slots assigned', async () => {
    expect(cluster.external).toBe(false);
    expect(cluster.nodes).toHaveLength(3);
    for (const node of cluster.nodes) {
      const info = String(await redisCommand(node, ['CLUSTER', 'INFO']));
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_slots_assigned:16384');
      expect(info).toContain('cluster_known_nodes:3');
    }
  });

  it('every node maps all 16384 slots onto the 3 masters', async () => {
    const ports = cluster.nodes.map((n) => n.port).sort();
    for (const node of cluster.nodes) {
      const slots = (await redisCommand(node, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
      const covered = slots.reduce((sum, [first, last]) => sum + (last - first + 1), 0);
      expect(covered).toBe(16384);
      expect(slots.map(([, , master]) => master[1]).sort()).toEqual(ports);
      expect(slots.every(([, , master]) => master[0] === '127.0.0.1')).toBe(true);
    }
  });

  it('routes a key to its slot owner and redirects elsewhere', async () => {
    const slot = Number(await redisCommand(cluster.nodes[0]!, ['CLUSTER', 'KEYSLOT', 'task:1']));
    const slots = (await redisCommand(cluster.nodes[0]!, ['CLUSTER', 'SLOTS'])) as [
      number,
      number,
      [string, number],
    ][];
    const ownerPort = slots.find(([first, last]) => slot >= first && slot <= last)![2][1];
    const owner = cluster.nodes.find((n) => n.port === ownerPort)!;
    const other = cluster.nodes.find((n) => n.port !== ownerPort)!;
    expect(await redisCommand(owner, ['SET', 'task:1', 'x'])).toBe('OK');
    await expect(redisCommand(other, ['GET', 'task:1'])).rejects.toThrow(
      `MOVED ${slot} 127.0.0.1:${ownerPort}`,
    );
  });
});

describe('startPostgres', () => {
  let pg: PostgresServerHandle;
  const psqlBin = path.join(findPostgresBinDir() ?? '/usr/bin', 'psql');
  /** The bin dir's psql, run the way an engineer would run it by hand. */
  const psql = async (url: string, sql: string, timeout = 30_000) =>
    (await execFileAsync(psqlBin, ['-X', '-A', '-t', '-d', url, '-c', sql], { timeout })).stdout.trim();

  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.destroy();
  });

  it('accepts connections as postgres on a loopback port', async () => {
    expect(pg.external).toBe(false);
    expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/postgres`);
    expect(await psql(pg.url, 'select 1')).toBe('1');
    expect(await psql(pg.url, 'show fsync')).toBe('on');
    expect(await psql(pg.url, 'show max_connections')).toBe('200');
  });

  it('createDatabase() creates a database and returns its URL', async () => {
    const url = await pg.createDatabase();
    expect(url).toMatch(
      new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:${pg.port}/taskvault_[0-9a-f]{12}$`),
    );
    const named = await pg.createDatabase('tv_named');
    expect(named).toBe(`postgres://postgres@127.0.0.1:${pg.port}/tv_named`);
    expect(await psql(named, 'select current_database()')).toBe('tv_named');
    await expect(pg.createDatabase('bad; name')).rejects.toThrow(/not a plain identifier/);
  });

  it('kill() crashes the server; start() recovers committed data on the same port', async () => {
    const url = await pg.createDatabase('tv_crash');
    await psql(url, 'create table t (v text); insert into t values ($$committed$$)');
    const port = pg.port;
    await pg.kill();
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
    await pg.start();
    expect(pg.port).toBe(port);
    expect(await psql(url, 'select v from t')).toBe('committed');
    const log = fs.readFileSync(path.join(pg.dir, 'postgres.log'), 'utf8');
    expect(log).toMatch(/not properly shut down; automatic recovery in progress/);
  });

  it('freeze() stops the postmaster and its backends; thaw() resumes them', async () => {
    pg.freeze();
    try {
      const postmaster = Number(
        fs.readFileSync(path.join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
      );
      const tree = processTree(postmaster);
      expect(tree.length).toBeGreaterThan(1); // checkpointer, walwriter, ...
      // SIGSTOP takes effect when each process is next scheduled, so allow a moment
      // (a backend that just exited stays a zombie 'Z' until the thawed postmaster reaps it)
      await vi.waitFor(
        () => {
          expect(procState(postmaster)).toBe('T');
          for (const pid of tree) expect(['T', 'Z']).toContain(procState(pid));
        },
        { timeout: 2000 },
      );
      await expect(psql(pg.url, 'select 1', 1000)).rejects.toThrow();
    } finally {
      pg.thaw();
    }
    expect(await pg.psql('select 1')).toBe('1');
  });

  it('stop() then start() serves again on the same port', async () => {
    await pg.stop();
    expect(await isPortOpen('127.0.0.1', pg.port)).toBe(false);
    await pg.start();
    expect(await psql(pg.url, 'select 1')).toBe('1');
  });
});
