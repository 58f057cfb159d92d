import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { findExecutable } from './binaries.js';
import { makeTempDir, onExitKill, removeTempDir } from './cleanup.js';
import { ExternalServer } from './external.js';
import { ENV, envValue, serverUnavailableHint } from './hints.js';
import { getFreePorts, LOOPBACK } from './ports.js';
import { hasExited, logTail, signal, spawnServer, waitForExit } from './process.js';
import { redisCommand } from './resp.js';
import { DEFAULT_WAIT_MS, waitUntil } from './wait.js';

export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** The server's data dir (temp); '' for an external server. */
  readonly dir: string;
  /** True when it came from TASKVAULT_TEST_REDIS_URL; then the fault operations throw. */
  readonly external: boolean;
  /** Graceful shutdown (SIGTERM), resolves once the process exited. */
  stop(): Promise<void>;
  /** Crash (SIGKILL), resolves once the process exited. */
  kill(): Promise<void>;
  /** (Re)starts on the same port and dir; resolves once it answers PING. No-op while running. */
  start(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel but nothing answers. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Kills the server and removes its dir. Idempotent. */
  destroy(): Promise<void>;
}

export interface StartRedisOptions {
  /** `appendonly yes` + `appendfsync always`: every acknowledged write survives kill(). */
  appendOnly?: boolean;
  /** Extra redis-server arguments, appended last so they override the defaults. */
  args?: string[];
}

/** Internal: also used by the cluster, whose nodes need a second (bus) port. */
export interface SpawnRedisOptions extends StartRedisOptions {
  clusterBus?: boolean;
}

/** How often a start is retried with fresh ports when another process took a port in the meantime. */
const PORT_ATTEMPTS = 3;

class AddressInUseError extends Error {}

/** A redis-server child process owned by this package. */
export class SpawnedRedis implements RedisServerHandle {
  readonly host = LOOPBACK;
  readonly external = false;
  private child: ChildProcess | null = null;
  private destroyed = false;

  constructor(
    readonly port: number,
    /** Cluster bus port (cluster nodes only), else null. */
    readonly clusterPort: number | null,
    readonly dir: string,
    private readonly binary: string,
    private readonly args: string[],
  ) {}

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get logFile(): string {
    return path.join(this.dir, 'redis.log');
  }

  private get running(): boolean {
    return this.child !== null && !hasExited(this.child);
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`redis-server on port ${this.port} was destroyed; start a new one`);
    if (this.running) return;
    const child = spawnServer(this.binary, this.args, { logFile: this.logFile, cwd: this.dir });
    this.child = child;
    // synchronous SIGKILL at process exit; SIGKILL also ends a frozen (SIGSTOPped) server
    const unregister = onExitKill(() => child.kill('SIGKILL'));
    child.once('exit', unregister);
    let spawnError: Error | null = null;
    child.once('error', (err) => {
      spawnError = err;
    });
    try {
      await waitUntil(async () => (await redisCommand(this, ['PING'], { timeoutMs: 1000 })) === 'PONG', {
        what: `redis-server on ${this.host}:${this.port} to answer PING`,
        abortIf: () => {
          if (spawnError) throw spawnError;
          if (!hasExited(child)) return;
          const log = logTail(this.logFile);
          const message = `redis-server on port ${this.port} exited during startup (code ${child.exitCode}, signal ${child.signalCode}). Log tail (${this.logFile}):\n${log}`;
          throw log.includes('Address already in use') ? new AddressInUseError(message) : new Error(message);
        },
        details: () => `Log tail (${this.logFile}):\n${logTail(this.logFile)}`,
      });
    } catch (err) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
      throw err;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || hasExited(child)) return;
    child.kill('SIGTERM');
    // a frozen process would keep SIGTERM pending forever
    child.kill('SIGCONT');
    if (await waitForExit(child, DEFAULT_WAIT_MS)) return;
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
    throw new Error(
      `redis-server on port ${this.port} did not exit within ${DEFAULT_WAIT_MS} ms of SIGTERM; it was killed`,
    );
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || hasExited(child)) return;
    child.kill('SIGKILL');
    if (!(await waitForExit(child, DEFAULT_WAIT_MS))) {
      throw new Error(`redis-server on port ${this.port} (pid ${child.pid}) survived SIGKILL`);
    }
  }

  freeze(): void {
    signal(this.requirePid('freeze'), 'SIGSTOP');
  }

  thaw(): void {
    signal(this.requirePid('thaw'), 'SIGCONT');
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.kill();
    removeTempDir(this.dir);
  }

  private requirePid(operation: string): number {
    if (!this.running || this.child?.pid === undefined) {
      throw new Error(`${operation}(): redis-server on port ${this.port} is not running`);
    }
    return this.child.pid;
  }
}

/** A server someone else runs (TASKVAULT_TEST_REDIS_URL): usable, but never stopped or crashed by us. */
class ExternalRedis extends ExternalServer implements RedisServerHandle {
  constructor(url: string) {
    super(url, 6379, 'Redis', ENV.redisUrl);
  }
}

export function externalRedis(url: string): RedisServerHandle {
  return new ExternalRedis(url);
}

/** The path of redis-server, or an Error that says how to install it. */
export function requireRedisServer(): string {
  const binary = findExecutable('redis-server');
  if (binary === null) throw new Error(serverUnavailableHint('redis'));
  return binary;
}

/**
 * Spawns a redis-server on fresh loopback ports in a fresh temp dir and waits until it answers PING.
 * If another process grabbed a port between picking and binding it, retries with new ports.
 */
export async function spawnRedis(opts: SpawnRedisOptions = {}): Promise<SpawnedRedis> {
  const binary = requireRedisServer();
  for (let attempt = 1; ; attempt++) {
    const [port, busPort] = await getFreePorts(opts.clusterBus ? 2 : 1);
    const dir = makeTempDir('redis');
    const args = [
      '--port',
      String(port),
      '--bind',
      LOOPBACK,
      // no RDB snapshots: tests decide persistence via appendOnly, and snapshots would slow kill tests
      '--save',
      '',
      '--dir',
      dir,
      '--daemonize',
      'no',
      // bound to loopback anyway; protected mode would only get in the way of a passwordless test server
      '--protected-mode',
      'no',
      ...(opts.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : []),
      ...(opts.clusterBus
        ? [
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(busPort),
            '--cluster-config-file',
            path.join(dir, 'nodes.conf'),
            // announce the loopback address so cluster clients are redirected to a reachable host
            '--cluster-announce-ip',
            LOOPBACK,
          ]
        : []),
      ...(opts.args ?? []),
    ];
    const server = new SpawnedRedis(port!, busPort ?? null, dir, binary, args);
    try {
      await server.start();
      return server;
    } catch (err) {
      await server.destroy().catch(() => {});
      if (!(err instanceof AddressInUseError) || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** Spawns a throwaway redis-server (see RedisServerHandle). */
export function startRedis(opts: StartRedisOptions = {}): Promise<RedisServerHandle> {
  return spawnRedis({ ...opts, clusterBus: false });
}

/** TASKVAULT_TEST_REDIS_URL when set (an external handle), else a spawned server. */
export async function redisForTests(opts: StartRedisOptions = {}): Promise<RedisServerHandle> {
  const url = envValue(ENV.redisUrl);
  if (url !== undefined) return externalRedis(url);
  return startRedis(opts);
}
