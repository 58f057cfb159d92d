#!/usr/bin/env node
/**
 * `demo-agent run | serve`: the scripted transcript, or the HTTP service with its workers.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { isTaskStoreError, type TaskStore, type TaskStoreConfig } from '@taskvault/core';
import { formatRetention, parseRetention } from '@taskvault/core/adapter';
import { DemoAgent } from './agent.js';
import { createLogger } from './logger.js';
import { startMetrics } from './metrics.js';
import { openStore } from './open-store.js';
import { runScenario } from './scenario.js';
import { buildServer } from './server.js';
import { SweepLog } from './sweep-log.js';
import { Worker } from './worker.js';

const HELP = `demo-agent: a small agent service without a language model whose every step is
persisted through a taskvault TaskStore.

Usage:
  demo-agent run   [options]   scripted scenario with a readable transcript, then exit
  demo-agent serve [options]   HTTP API + page on http://HOST:PORT/, with worker loops

Store (any command):
  --backend NAME        memory | redis | postgres | sqlite (default: TASKVAULT_BACKEND, else memory)
  --namespace NAME      store namespace (default: TASKVAULT_NAMESPACE, else 'default';
                        'run' uses a fresh demo-run-* namespace unless this is given)
  TASKVAULT_REDIS_URL, TASKVAULT_POSTGRES_URL, TASKVAULT_SQLITE_PATH (default ./taskvault.db)
  and the other TASKVAULT_* variables apply.

Retention (serve):
  --retention SPEC      how long finished tasks are kept after their last write, e.g.
                        completed=1h,failed=1d,cancelled=10m (default: TASKVAULT_RETENTION,
                        else that example; 'none' keeps them)
  --sweep-ms N          how often the background sweeper runs (default 30000)

Workers:
  --step-delay-ms N     pretend work per step (run: 60, serve: 300)
  --lease-ms N          a running task whose heartbeat is older is taken over (default 10000)

serve:
  --port N              default: PORT, else 3000 (0 picks a free port)
  --host HOST           default 127.0.0.1
  --workers N           worker loops in this process (default 2; 0 = API only)
  --worker-id ID        prefix of this process's worker ids (default HOSTNAME-PID)
  --poll-ms N           idle poll interval (default 200)

Logging:
  --quiet, -q           warnings and errors only
  --log-level LEVEL     fatal|error|warn|info|debug|trace|silent (default: LOG_LEVEL, else info;
                        run logs to stderr at warn so the transcript stays readable)
  --help, -h            this text
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
  'log-level': { type: 'string' },
  backend: { type: 'string' },
  namespace: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  workers: { type: 'string' },
  'worker-id': { type: 'string' },
  'lease-ms': { type: 'string' },
  'step-delay-ms': { type: 'string' },
  'poll-ms': { type: 'string' },
  retention: { type: 'string' },
  'sweep-ms': { type: 'string' },
} as const;

/** The demo's retention when neither --retention nor TASKVAULT_RETENTION says otherwise. */
const DEMO_RETENTION = 'completed=1h,failed=1d,cancelled=10m';

class UsageError extends Error {}

/** The backends the demo depends on, so the factory finds each. */
const DEMO_BACKENDS = ['memory', 'redis', 'postgres', 'sqlite'] as const;

function integer(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function storeConfig(values: {
  backend?: string | undefined;
  namespace?: string | undefined;
}): TaskStoreConfig {
  const config: TaskStoreConfig = {};
  if (values.backend !== undefined) {
    if (!(DEMO_BACKENDS as readonly string[]).includes(values.backend)) {
      throw new UsageError(
        `--backend must be memory, redis, postgres or sqlite, got ${JSON.stringify(values.backend)}`,
      );
    }
    config.backend = values.backend as (typeof DEMO_BACKENDS)[number];
  }
  if (values.namespace !== undefined) config.namespace = values.namespace;
  return config;
}

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

async function run(values: Values): Promise<number> {
  const logger = createLogger({
    level: values['log-level'],
    quiet: values.quiet === true,
    fallback: 'warn',
    destination: process.stderr,
  });
  const config = storeConfig(values);
  // A fresh namespace by default: cleanup and delete below then touch only this run's tasks.
  config.namespace ??= `demo-run-${Date.now().toString(36)}-${process.pid}`;
  const store = await openStore(config);
  try {
    const result = await runScenario({
      store,
      namespace: config.namespace,
      stepDelayMs: integer('step-delay-ms', values['step-delay-ms'], 60, 0, 60_000),
      logger,
    });
    return result.maxCommitsPerStep <= 1 ? 0 : 1;
  } finally {
    await store.close();
  }
}

async function serve(values: Values): Promise<number> {
  const logger = createLogger({ level: values['log-level'], quiet: values.quiet === true });
  const port = integer('port', values.port ?? process.env.PORT, 3000, 0, 65535);
  const host = values.host ?? '127.0.0.1';
  const workerCount = integer('workers', values.workers, 2, 0, 64);
  const leaseMs = integer('lease-ms', values['lease-ms'], 10_000, 100, 3_600_000);
  const stepDelayMs = integer('step-delay-ms', values['step-delay-ms'], 300, 0, 600_000);
  const pollMs = integer('poll-ms', values['poll-ms'], 200, 5, 60_000);
  const prefix = values['worker-id'] ?? `${hostname()}-${process.pid}`;
  if (prefix.trim() === '') throw new UsageError('--worker-id must not be empty');

  // Before the store: its instruments bind to the meter provider registered when it is made.
  const metrics = startMetrics();
  const retentionText = values.retention ?? process.env.TASKVAULT_RETENTION ?? DEMO_RETENTION;
  const sweepMs = integer('sweep-ms', values['sweep-ms'], 30_000, 100, 86_400_000);
  let retention: ReturnType<typeof parseRetention>;
  try {
    retention = retentionText.trim() === 'none' ? null : parseRetention(retentionText, '--retention');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const sweeps = new SweepLog(formatRetention(retention));
  sweeps.logTo(logger);
  const config = storeConfig(values);
  config.retention = retention;
  config.options = { sweep: { intervalMs: sweepMs }, onSweep: sweeps.onSweep };
  const store: TaskStore = await openStore(config);
  const health = await store.healthCheck();
  if (!health.ok)
    logger.warn({ backend: store.backend, detail: health.detail }, 'the store is not answering yet');

  const workers = Array.from(
    { length: workerCount },
    (_, i) =>
      new Worker({
        store,
        workerId: workerCount === 1 ? prefix : `${prefix}/${i + 1}`,
        leaseMs,
        stepDelayMs,
        pollMs,
        logger,
      }),
  );
  const app = buildServer({ agent: new DemoAgent(store), workers, logger, metrics, sweeps });
  const address = await app.listen({ port, host });
  logger.info(
    {
      url: address,
      backend: store.backend,
      workers: workers.map((w) => w.id),
      leaseMs,
      stepDelayMs,
      retention: sweeps.policy,
      sweepMs,
    },
    `demo agent listening on ${address}`,
  );
  for (const w of workers) w.start();

  return new Promise<number>((resolve) => {
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      logger.info({ signal }, 'shutting down: finishing current steps and handing tasks back');
      await Promise.all(workers.map((w) => w.stop()));
      await app.close();
      await store.close();
      await metrics.shutdown();
      resolve(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
  });
}

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`demo-agent: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === 'help' || command === undefined) {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  try {
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
    if (command === 'run') return await run(values);
    if (command === 'serve') return await serve(values);
    throw new UsageError(`unknown command ${JSON.stringify(command)}; use run or serve`);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`demo-agent: ${error.message}\n(see demo-agent --help)\n`);
      return 2;
    }
    if (isTaskStoreError(error)) {
      process.stderr.write(`demo-agent: ${error.name} ${error.code}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`demo-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo-agent: ${String(error)}\n`);
    process.exit(1);
  },
);
