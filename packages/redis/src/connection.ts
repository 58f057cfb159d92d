/**
 * The connection the store talks through, and the ioredis settings that make failures bounded:
 * a call never waits longer than the configured timeouts, nothing queues while the server is
 * away, a command whose reply was lost is never sent again, and the client reconnects forever.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { isClusterDown, RedisNotAnswering } from './driver-errors.js';
import type { ResolvedRedisOptions } from './options.js';
import { isLibraryLoaded, isNoFunction, isNoScript, LIBRARY, type LuaScript } from './scripts.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | number;

/** The start of EVALSHA's arguments: SHA, number of keys, the keys. Push the script's arguments after. */
export function scriptArgs(script: LuaScript, ...keys: string[]): ScriptArg[] {
  return [script.sha, script.numKeys, ...keys];
}

/** Reconnect delay: 100 ms doubling up to 1 s, and never giving up, so the store recovers by itself. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(Math.max(attempt - 1, 0), 4), 1000);
}

/**
 * Settings of every connection the store opens, and why:
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight when
 *   the connection drops is rejected at once and never sent again. The server may have run it;
 *   sending it again could append items twice or turn a create into TASK_EXISTS.
 * - `reconnectOnError: null`: an error reply never reconnects or resends.
 * - `commandTimeout`: a frozen server (SIGSTOP, a long fork) answers nothing; the call rejects.
 * - `connectTimeout`: an unreachable host fails the attempt instead of hanging on SYN.
 * (`enableOfflineQueue: false` and the retry strategy are set by the caller: Cluster takes them
 * at its top level.)
 */
function faultSettings(o: ResolvedRedisOptions) {
  return {
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    reconnectOnError: null,
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: o.connectTimeoutMs,
  } satisfies RedisOptions;
}

/** User, password and TLS from a URL, for cluster nodes (ioredis reads them itself from a URL). */
function authFromUrl(url: string | undefined): RedisOptions {
  if (url === undefined) return {};
  const u = new URL(url);
  const auth: RedisOptions = {};
  if (u.username) auth.username = decodeURIComponent(u.username);
  if (u.password) auth.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') auth.tls = {};
  return auth;
}

/** Opens the connection the options ask for; `owned` says whether the store must close it. */
export function openClient(o: ResolvedRedisOptions): { client: RedisClient; owned: boolean } {
  const source = o.source;
  if (source.kind === 'client') return { client: source.client, owned: false };
  if (source.kind === 'url') {
    const client = new Redis(source.url, {
      connectionName: 'taskvault',
      // Calls made in one tick travel in one write through Connection's corking instead (see
      // there); ioredis' auto-pipelining keeps only one batch in flight, so the client and the
      // server would take turns instead of working at the same time.
      enableAutoPipelining: false,
      ...o.redisOptions,
      ...faultSettings(o),
      // No queue while disconnected: a call fails now instead of running minutes later.
      enableOfflineQueue: false,
      retryStrategy: reconnectDelay,
      lazyConnect: false,
      // replies are read as RESP2-shaped arrays
      replyMapping: 'legacy',
    });
    return { client, owned: true };
  }
  const { enableOfflineQueue: _q, retryStrategy: _r, readOnly: _ro, ...nodeOptions } = o.redisOptions;
  const client = new Cluster(source.nodes, {
    enableOfflineQueue: false,
    // Calls made in one tick travel to each node in one write. (Unlike a single connection, a
    // cluster also needs it to wait for its slot map before the first call.)
    enableAutoPipelining: true,
    clusterRetryStrategy: reconnectDelay,
    clusterNodeRetryStrategy: reconnectDelay,
    // "Connection is closed" may come after the node ran the command: never resend it.
    retryDelayOnFailover: 0,
    // TRYAGAIN / MOVED / ASK mean the command did not run: retrying is safe, and bounded by
    // maxRedirections.
    retryDelayOnTryAgain: 100,
    // CLUSTERDOWN also means it did not run, but ioredis' own retry of it (a pause and a slot
    // refresh per round, up to maxRedirections rounds) took 1.7 to 3.4 s per call with
    // commandTimeoutMs 800 while a master was down, and has no bound tied to the store's wait.
    // 0 hands the reply back at once; Connection retries it within the call's wait instead.
    retryDelayOnClusterDown: 0,
    maxRedirections: 16,
    redisOptions: {
      connectionName: 'taskvault',
      ...authFromUrl(source.url),
      ...nodeOptions,
      ...faultSettings(o),
      replyMapping: 'legacy',
    },
  });
  return { client, owned: true };
}

/**
 * The change feed's reading connection: a duplicate of the store's client (its address, auth and
 * TLS) with the same fault-safe settings, and a command timeout that lets a blocking read of
 * `blockMs` finish: commandTimeout applies to XREAD BLOCK too, so it is the usual bound plus the
 * block. A server that goes away fails the read at once (the socket closes); a frozen one, within
 * that bound. Always the store's own, closed at store close (also for a caller's client).
 */
export function openFeedReader(client: RedisClient, o: ResolvedRedisOptions, blockMs: number): RedisClient {
  const settings = {
    ...faultSettings(o),
    commandTimeout: o.commandTimeoutMs + blockMs,
    connectionName: 'taskvault-feed',
  };
  if (client instanceof Cluster) {
    return client.duplicate([], {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
      clusterNodeRetryStrategy: reconnectDelay,
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      // as the store's cluster: without it, a call before the slot map is known fails
      enableAutoPipelining: true,
      redisOptions: { ...client.options.redisOptions, ...settings, replyMapping: 'legacy' },
    });
  }
  return client.duplicate({
    ...settings,
    enableOfflineQueue: false,
    retryStrategy: reconnectDelay,
    lazyConnect: false,
    enableAutoPipelining: false,
    replyMapping: 'legacy',
  });
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisNotAnswering(`no reply to ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Whether the server takes the hot writes as functions (FCALL): not known until the first call,
 * then `functions`, or `scripts` for good (Redis 6, a cluster, FUNCTION not allowed to the user).
 */
type ScriptMode = 'unknown' | 'functions' | 'scripts';

/** True for a reply saying the server has no such command (Redis 6 has no FCALL or FUNCTION). */
function isUnknownCommand(error: unknown): boolean {
  return error instanceof Error && /^ERR unknown command/.test(error.message);
}

/** True for an ACL refusal (the user may not run FCALL or FUNCTION LOAD). */
function isNoPermission(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOPERM');
}

/** What {@link Connection}'s function call answers when the script must run instead. */
const SCRIPTS_INSTEAD = Symbol('scripts instead');

/** Pause before a command the cluster refused with CLUSTERDOWN is sent again. */
const CLUSTER_DOWN_PAUSE_MS = 100;

/** A client plus the bounded waits and script calls the store needs. */
export class Connection {
  #waiter: Promise<void> | null = null;
  /** The last connection error seen (message only), for health details. */
  lastError: string | null = null;
  /** Our own reply deadline, for a caller's client without `commandTimeout`; else null. */
  readonly #replyDeadlineMs: number | null;
  /** The socket corked for the current tick, if any (single-node clients only). */
  #corked: { uncork(): void } | null = null;
  readonly #uncork = (): void => {
    const stream = this.#corked;
    this.#corked = null;
    stream?.uncork();
  };
  readonly #corks: boolean;
  readonly #cluster: boolean;
  #mode: ScriptMode;
  /** The FUNCTION LOAD in flight, so concurrent first calls load the library once. */
  #loading: Promise<void> | null = null;

  constructor(
    readonly client: RedisClient,
    readonly owned: boolean,
    private readonly waitMs: number,
  ) {
    const timeout =
      client instanceof Cluster ? client.options.redisOptions?.commandTimeout : client.options.commandTimeout;
    this.#replyDeadlineMs = typeof timeout === 'number' ? null : waitMs;
    this.#cluster = client instanceof Cluster;
    this.#corks = !this.#cluster;
    // a cluster would need the library on every master before any call, and again after each
    // failover: it keeps the scripts (EVALSHA), which a node loads on its own NOSCRIPT
    this.#mode = this.#cluster ? 'scripts' : 'unknown';
    if (owned) {
      // An 'error' event without a listener would be logged by ioredis on every reconnect attempt;
      // ours records it. Failures reach callers through the calls they make.
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
    }
  }

  get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  /**
   * Resolves once the client can send, waiting at most `waitMs` (a first connect, a reconnect in
   * progress). Rejects early with the connection error when an attempt fails: a refused
   * connection fails the call now rather than at the deadline.
   */
  ready(): Promise<void> {
    const status = this.client.status;
    if (status === 'ready') return Promise.resolve();
    if (status === 'end' && !this.owned) {
      return Promise.reject(
        new RedisNotAnswering('the Redis client passed to the store was closed by its owner'),
      );
    }
    if (status === 'wait') this.client.connect().catch(() => undefined);
    if (this.#waiter === null) {
      this.#waiter = this.#waitForReady().finally(() => {
        this.#waiter = null;
      });
    }
    return this.#waiter;
  }

  #waitForReady(): Promise<void> {
    const client = this.client;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new RedisNotAnswering(`no connection to Redis within ${this.waitMs} ms`)),
        this.waitMs,
      );
      const onReady = () => finish(null);
      // ioredis' handshake (the INFO ready check) has the command timeout too: when it runs out,
      // the connection error reads "Command timed out", although this call sent nothing yet
      const onError = (error: Error) =>
        finish(
          error.message.startsWith('Command timed out')
            ? new RedisNotAnswering(
                'Redis accepted the connection but did not answer its handshake within commandTimeoutMs (is it frozen or overloaded?)',
              )
            : error,
        );
      const onEnd = () => finish(new RedisNotAnswering('the connection to Redis was closed'));
      function finish(error: Error | null) {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('end', onEnd);
        if (error) reject(error);
        else resolve();
      }
      client.on('ready', onReady);
      client.on('error', onError);
      client.on('end', onEnd);
    });
  }

  /** Sends one command (after the bounded wait for a connection). */
  command(name: string, args: ScriptArg[]): Promise<unknown> {
    // not async: the usual path hands back ioredis' own promise, one promise per call
    const sent = this.#sendWhenReady(name, args);
    return this.#cluster ? this.#clusterDownRetried(sent, name, args, Date.now() + this.waitMs) : sent;
  }

  #sendWhenReady(name: string, args: ScriptArg[]): Promise<unknown> {
    if (this.client.status !== 'ready') return this.ready().then(() => this.#send(name, args));
    return this.#send(name, args);
  }

  /**
   * Cluster only: a CLUSTERDOWN reply means the command did not run (the cluster is healing, or a
   * node that just rejoined is not serving yet), so it is sent again after a pause, but only while
   * the call is within its wait; after that the call rejects with it (BACKEND_UNAVAILABLE). A retry
   * starts only before the deadline, and is itself bounded by the command timeout.
   */
  async #clusterDownRetried(
    first: Promise<unknown>,
    name: string,
    args: ScriptArg[],
    deadline: number,
  ): Promise<unknown> {
    let attempt = first;
    for (;;) {
      try {
        return await attempt;
      } catch (error) {
        if (!isClusterDown(error) || Date.now() + CLUSTER_DOWN_PAUSE_MS >= deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, CLUSTER_DOWN_PAUSE_MS));
      attempt = this.#sendWhenReady(name, args);
    }
  }

  #send(name: string, args: ScriptArg[]): Promise<unknown> {
    if (this.#corks && this.#corked === null) this.#cork();
    const reply = this.client.call(name, args);
    return this.#replyDeadlineMs === null ? reply : withDeadline(reply, this.#replyDeadlineMs, name);
  }

  /**
   * Holds the socket's writes until the end of the tick, so every command sent in this tick leaves
   * in one write (one syscall) — what auto-pipelining does, without its one-batch-in-flight limit.
   */
  #cork(): void {
    const stream = (this.client as Redis).stream as
      | (NodeJS.WritableStream & { cork(): void; uncork(): void })
      | undefined;
    if (stream === undefined || stream === null) return;
    stream.cork();
    this.#corked = stream;
    process.nextTick(this.#uncork);
  }

  /**
   * Runs a script: as its function (FCALL) when it has one and the server takes functions, loading
   * the library when the server does not have it; else by SHA (EVALSHA), loading it with EVAL when
   * the server does not have it (NOSCRIPT). `argv` is what EVALSHA takes: {@link scriptArgs} and
   * then the script's arguments. Every fallback follows a reply that says nothing ran (function
   * not found, unknown command, NOSCRIPT), so none can apply a write twice.
   */
  async script(script: LuaScript, argv: ScriptArg[]): Promise<unknown> {
    if (script.fn !== null && this.#mode !== 'scripts') {
      const called = await this.#function(script.fn, argv);
      if (called !== SCRIPTS_INSTEAD) return called.reply;
    }
    argv[0] = script.sha;
    try {
      return await this.command('evalsha', argv);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      const withText = argv.slice();
      withText[0] = script.lua;
      return this.command('eval', withText);
    }
  }

  /** FCALL of `fn`, or SCRIPTS_INSTEAD when this server takes no functions (then nothing ran). */
  async #function(fn: string, argv: ScriptArg[]): Promise<{ reply: unknown } | typeof SCRIPTS_INSTEAD> {
    argv[0] = fn;
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.command('fcall', argv);
        this.#mode = 'functions';
        return { reply };
      } catch (error) {
        if (isUnknownCommand(error) || isNoPermission(error)) {
          this.#mode = 'scripts';
          return SCRIPTS_INSTEAD;
        }
        // not loaded yet, or gone (a restart without persistence, FUNCTION FLUSH): load, call again
        if (!isNoFunction(error) || attempt > 1) throw error;
      }
      if (!(await this.#loadLibrary())) return SCRIPTS_INSTEAD;
    }
  }

  /** Loads the library once (concurrent callers share the load); false when the server refuses. */
  async #loadLibrary(): Promise<boolean> {
    if (this.#loading === null) {
      this.#loading = (this.command('function', ['load', LIBRARY.code]) as Promise<unknown>)
        .then(
          () => undefined,
          (error: unknown) => {
            if (isLibraryLoaded(error)) return;
            if (isUnknownCommand(error) || isNoPermission(error)) {
              this.#mode = 'scripts';
              return;
            }
            throw error;
          },
        )
        .finally(() => {
          this.#loading = null;
        });
    }
    await this.#loading;
    return this.#mode !== 'scripts';
  }

  /**
   * Closes the connection if the store opened it; a caller's client is left alone. `abrupt`: no
   * QUIT (the change feed's reader: a QUIT would wait for the blocking read in flight).
   */
  async close(abrupt = false): Promise<void> {
    if (!this.owned) return;
    const client = this.client;
    try {
      if (client.status === 'ready' && !abrupt) await withDeadline(client.quit(), this.waitMs, 'QUIT');
    } catch {
      // the server is gone or slow: disconnecting below is all that is left to do
    }
    if (client.status === 'end') return;
    // disconnect() finishes asynchronously (a connect attempt may be under way): wait for it, boundedly
    const ended = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.waitMs);
      client.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    client.disconnect();
    await ended;
  }
}
