import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findPostgresBinDir, findPostgresTool } from './binaries.js';
import { makeTempDir, onExitKill, removeTempDir } from './cleanup.js';
import { ExternalServer } from './external.js';
import { ENV, envValue, serverUnavailableHint } from './hints.js';
import { postgresRunAs, type RunAs } from './os-user.js';
import { getFreePort, isPortOpen, LOOPBACK } from './ports.js';
import { hasExited, isGone, logTail, processTree, run, signal, spawnServer, waitForExit } from './process.js';
import { checkDatabaseName, requirePsql, runPsql, urlForDatabase } from './psql.js';
import { DEFAULT_WAIT_MS, waitUntil } from './wait.js';

export interface PostgresServerHandle {
  readonly host: string;
  readonly port: number;
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth) */
  readonly url: string;
  /** True when it came from TASKVAULT_TEST_POSTGRES_URL; then the fault operations throw. */
  readonly external: boolean;
  /** The server's temp dir (data dir is `${dir}/data`); '' for an external server. */
  readonly dir: string;
  /** CREATE DATABASE (random name if omitted); resolves with the new database's URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL with psql (tuples only, unaligned) against `database` (default: the URL's database). */
  psql(sql: string, database?: string): Promise<string>;
  /** Fast shutdown (SIGINT, as `pg_ctl stop -m fast` sends), resolves once the postmaster exited. */
  stop(): Promise<void>;
  /** Crash: SIGKILL to the postmaster and every backend; the next start() does crash recovery. */
  kill(): Promise<void>;
  /** (Re)starts on the same port and data dir; resolves once it accepts connections. No-op while running. */
  start(): Promise<void>;
  /** SIGSTOP to the postmaster and all its child processes. */
  freeze(): void;
  /** SIGCONT to the postmaster and all its child processes. */
  thaw(): void;
  /** Kills the server and removes its dir. Idempotent. */
  destroy(): Promise<void>;
}

const PORT_ATTEMPTS = 3;

class AddressInUseError extends Error {}

/** A PostgreSQL postmaster owned by this package, over a data dir made by initdb in a temp dir. */
class SpawnedPostgres implements PostgresServerHandle {
  readonly host = LOOPBACK;
  readonly external = false;
  private child: ChildProcess | null = null;
  private destroyed = false;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly binDir: string,
    private readonly runAs: RunAs | null,
  ) {}

  get url(): string {
    return `postgres://postgres@${this.host}:${this.port}/postgres`;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  get logFile(): string {
    return path.join(this.dir, 'postgres.log');
  }

  private get running(): boolean {
    return this.child !== null && !hasExited(this.child);
  }

  async createDatabase(name?: string): Promise<string> {
    const database = checkDatabaseName(name);
    await this.psql(`CREATE DATABASE "${database}"`);
    return urlForDatabase(this.url, database);
  }

  psql(sql: string, database?: string): Promise<string> {
    const url = database === undefined ? this.url : urlForDatabase(this.url, database);
    return runPsql(requirePsql(this.binDir), url, sql);
  }

  /**
   * Runs the postmaster directly (not through `pg_ctl start`) so that it is our child: Node reaps
   * it when it dies, so a killed postmaster never survives as a zombie whose pid in postmaster.pid
   * would make the next start refuse with "lock file already exists".
   */
  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`postgres on port ${this.port} was destroyed; start a new one`);
    if (this.running) return;
    const child = spawnServer(
      path.join(this.binDir, 'postgres'),
      ['-D', this.dataDir, '-p', String(this.port)],
      { logFile: this.logFile, cwd: this.dir, ...(this.runAs ?? {}) },
    );
    this.child = child;
    const unregister = onExitKill(() => {
      if (child.pid !== undefined && !hasExited(child)) killTree(child.pid);
    });
    child.once('exit', unregister);
    let spawnError: Error | null = null;
    child.once('error', (err) => {
      spawnError = err;
    });
    try {
      await waitUntil(() => this.acceptsConnections(), {
        what: `postgres on ${this.host}:${this.port} to accept connections`,
        intervalMs: 100,
        abortIf: () => {
          if (spawnError) throw spawnError;
          if (!hasExited(child)) return;
          const log = logTail(this.logFile);
          const message = `postgres on port ${this.port} exited during startup (code ${child.exitCode}, signal ${child.signalCode}). Log tail (${this.logFile}):\n${log}`;
          throw /could not bind|Address already in use/.test(log)
            ? new AddressInUseError(message)
            : new Error(message);
        },
        details: () => `Log tail (${this.logFile}):\n${logTail(this.logFile)}`,
      });
    } catch (err) {
      if (child.pid !== undefined) killTree(child.pid);
      await waitForExit(child, 5000);
      throw err;
    }
  }

  /** pg_isready exits 0 only once the server accepts connections (not while it starts or recovers). */
  private async acceptsConnections(): Promise<boolean> {
    const pgIsReady = findPostgresTool('pg_isready', this.binDir);
    const result =
      pgIsReady === null
        ? await run(requirePsql(this.binDir), ['-X', '-d', this.url, '-c', 'select 1'], { timeoutMs: 5000 })
        : await run(
            pgIsReady,
            ['-h', this.host, '-p', String(this.port), '-U', 'postgres', '-d', 'postgres', '-t', '2'],
            { timeoutMs: 5000 },
          );
    return result.code === 0;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || hasExited(child) || child.pid === undefined) return;
    // a frozen server would never act on the shutdown signal
    for (const pid of processTree(child.pid)) signal(pid, 'SIGCONT');
    child.kill('SIGINT');
    if (await waitForExit(child, DEFAULT_WAIT_MS)) return;
    killTree(child.pid);
    await waitForExit(child, 5000);
    throw new Error(
      `postgres on port ${this.port} did not shut down within ${DEFAULT_WAIT_MS} ms; it was killed`,
    );
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || hasExited(child) || child.pid === undefined) return;
    const pids = killTree(child.pid);
    // Backends orphaned by a dead postmaster keep the shared memory segment attached, and the next
    // postmaster refuses to start while it is; so wait until every one is gone, and the port closed.
    await waitUntil(
      async () => hasExited(child) && pids.every(isGone) && !(await isPortOpen(this.host, this.port, 200)),
      { what: `postgres on port ${this.port} (pids ${pids.join(', ')}) to die after SIGKILL` },
    );
  }

  freeze(): void {
    const pid = this.requirePid('freeze');
    // postmaster first, so it cannot fork a new backend while we stop the existing ones
    signal(pid, 'SIGSTOP');
    for (const p of processTree(pid)) signal(p, 'SIGSTOP');
  }

  thaw(): void {
    const pid = this.requirePid('thaw');
    for (const p of processTree(pid).reverse()) signal(p, 'SIGCONT');
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.kill();
    removeTempDir(this.dir);
  }

  private requirePid(operation: string): number {
    if (!this.running || this.child?.pid === undefined) {
      throw new Error(`${operation}(): postgres on port ${this.port} is not running`);
    }
    return this.child.pid;
  }
}

/** SIGKILLs a postmaster and all its descendants, postmaster first so it cannot respawn children. */
function killTree(pid: number): number[] {
  const pids = processTree(pid);
  for (const p of pids) signal(p, 'SIGKILL');
  return pids;
}

/** A server someone else runs (TASKVAULT_TEST_POSTGRES_URL): usable, but never stopped or crashed by us. */
class ExternalPostgres extends ExternalServer implements PostgresServerHandle {
  constructor(url: string) {
    super(url, 5432, 'PostgreSQL', ENV.postgresUrl);
  }

  async createDatabase(name?: string): Promise<string> {
    const database = checkDatabaseName(name);
    await this.psql(`CREATE DATABASE "${database}"`);
    return urlForDatabase(this.url, database);
  }

  psql(sql: string, database?: string): Promise<string> {
    const url = database === undefined ? this.url : urlForDatabase(this.url, database);
    return runPsql(requirePsql(findPostgresBinDir()), url, sql);
  }
}

/** Creates a cluster with initdb and appends the settings the tests rely on. */
async function initDataDir(
  binDir: string,
  dir: string,
  runAs: RunAs | null,
  extra: Readonly<Record<string, string>>,
): Promise<void> {
  if (runAs !== null) fs.chownSync(dir, runAs.uid, runAs.gid);
  const dataDir = path.join(dir, 'data');
  const result = await run(
    path.join(binDir, 'initdb'),
    // --no-sync: a throwaway cluster need not survive a power cut during initdb (saves seconds);
    // --no-locale: C collation, so ordering is bytewise and the same on every machine
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--no-locale'],
    { cwd: dir, timeoutMs: 60_000, ...(runAs ?? {}) },
  );
  if (result.code !== 0) {
    throw new Error(`initdb failed (exit ${result.code}):\n${result.stderr.trim()}\n${result.stdout.trim()}`);
  }
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const settings = [
    '# taskvault test-servers',
    `listen_addresses = ${quote(LOOPBACK)}`,
    // our own socket dir: the system default (/var/run/postgresql) may be missing or not writable
    `unix_socket_directories = ${quote(dir)}`,
    // SPEC durability: an acknowledged commit survives kill(); synchronous_commit stays at its default
    'fsync = on',
    'max_connections = 200',
    'shared_buffers = 32MB',
    // later lines win in postgresql.conf: a caller's settings override the ones above
    ...Object.entries(extra).map(([name, value]) => `${name} = ${quote(value)}`),
  ];
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
}

/**
 * Spawns a throwaway PostgreSQL server on a free loopback port: initdb into a fresh temp dir, then
 * the postmaster, resolved once it accepts connections. Retries on a new port if the picked one was
 * taken in the meantime. `settings` are postgresql.conf lines added after ours (e.g. the bench's
 * `shared_buffers`); the tests' servers use none.
 */
export async function startPostgres(
  options: { settings?: Readonly<Record<string, string>> } = {},
): Promise<PostgresServerHandle> {
  const binDir = findPostgresBinDir();
  if (binDir === null) throw new Error(serverUnavailableHint('postgres'));
  const runAs = postgresRunAs();
  const dir = makeTempDir('postgres');
  try {
    await initDataDir(binDir, dir, runAs, options.settings ?? {});
    for (let attempt = 1; ; attempt++) {
      const server = new SpawnedPostgres(await getFreePort(), dir, binDir, runAs);
      try {
        await server.start();
        return server;
      } catch (err) {
        if (!(err instanceof AddressInUseError) || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
}

/** TASKVAULT_TEST_POSTGRES_URL when set (an external handle), else a spawned server. */
export async function postgresForTests(): Promise<PostgresServerHandle> {
  const url = envValue(ENV.postgresUrl);
  if (url !== undefined) return new ExternalPostgres(url);
  return startPostgres();
}
