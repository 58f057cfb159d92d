/** `stats`, `verify`, `cleanup`, `migrate`: looking after one store. */

import { parseDuration, type SweepEvent, TASK_STATUSES } from '@taskvault/core';
import type { Command } from 'commander';
import { migrationSql, runMigrations } from '../commands/migrate.js';
import { collectStats } from '../commands/stats.js';
import { CliError, usageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { startProgress } from '../progress.js';
import { configFromFlags, openStore, type StoreFlags } from '../target.js';
import { jsonFlag, output, seconds, storeFlags, urlFlag, withStore } from './shared.js';

type Flags = StoreFlags & Record<string, unknown>;

function storeCommand(program: Command, name: string, description: string): Command {
  const cmd = program
    .command(name)
    .description(description)
    .option('--url <url>', 'the store as a URL: redis://, postgres://, sqlite:<path>');
  storeFlags(cmd);
  jsonFlag(cmd);
  return cmd;
}

export function registerStats(program: Command, io: CliIo): void {
  storeCommand(program, 'stats', 'count the tasks of a namespace, by status, and the active ones').action(
    async (opts: Flags) => {
      await withStore(io, opts, urlFlag(opts, 'url'), async (store) => {
        const stats = await collectStats(store);
        const lines = [
          `backend ${stats.backend}`,
          `total ${stats.total}`,
          `active ${stats.active}`,
          ...TASK_STATUSES.map((s) => `${s} ${stats.byStatus[s]}`),
        ];
        output(io.stdout, opts.json === true, { command: 'stats', ...stats }, lines.join('\n'));
      });
    },
  );
}

export function registerVerify(program: Command, io: CliIo): void {
  storeCommand(
    program,
    'verify',
    "check the store's indexes against its tasks (exit 1 when something is wrong)",
  )
    .option('--repair', 'rebuild what is wrong from the tasks, and move unreadable records aside')
    .action(async (opts: Flags) => {
      await withStore(io, opts, urlFlag(opts, 'url'), async (store) => {
        const total = await store.count();
        const progress = startProgress(io.stderr, opts.repair ? 'repair' : 'verify', total);
        const report = await store
          .verify({ repair: opts.repair === true, onProgress: (p) => progress.update(p.checked) })
          .finally(() => progress.stop());
        const lines = [
          `checked ${report.checked} tasks in ${seconds(report.elapsedMs)}: ${report.problemCount} problem(s), ${report.repaired} repaired`,
          ...report.problems
            .slice(0, 50)
            .map(
              (p) =>
                `  ${p.kind}${p.index ? ` [${p.index}]` : ''}${p.taskId !== null ? ` ${JSON.stringify(p.taskId)}` : ''}: ${p.detail}${p.repaired ? ' (repaired)' : ''}`,
            ),
        ];
        output(
          io.stdout,
          opts.json === true,
          { command: 'verify', backend: store.backend, ...report },
          lines.join('\n'),
        );
        if (!report.ok) {
          throw new CliError(
            'VERIFY_FAILED',
            `${report.problemCount - report.repaired} problem(s) left${opts.repair ? '' : '; --repair rebuilds the indexes'}`,
          );
        }
      });
    });
}

export function registerCleanup(program: Command, io: CliIo): void {
  storeCommand(
    program,
    'cleanup',
    'delete tasks not written for a while (terminal ones only, unless --include-active), and expired ones',
  )
    .requiredOption('--older-than <duration>', 'age of the last write: seconds, or 90s, 15m, 2h, 30d')
    .option('--include-active', 'also delete pending, running and paused tasks')
    .action(async (opts: Flags) => {
      const text = String(opts.olderThan);
      const ms = parseDuration(text);
      if (ms === undefined)
        throw usageError(
          `--older-than: cannot read ${JSON.stringify(text)} as a duration: use seconds, or 90s, 15m, 2h, 30d`,
        );
      // the store reports each batch through onSweep: the progress line follows it
      const progress = { bar: startProgress(io.stderr, 'cleanup: removed', null), batches: 0 };
      const onSweep = (event: SweepEvent) => {
        if (event.source !== 'cleanup') return;
        if (!event.done) progress.batches = event.batch;
        progress.bar.update(event.total);
      };
      const store = await openStore(configFromFlags(opts, urlFlag(opts, 'url')), io, { any: { onSweep } });
      try {
        const started = Date.now();
        const removed = await store.cleanup({
          olderThan: ms ?? 0,
          includeActive: opts.includeActive === true,
        });
        progress.bar.stop();
        const elapsedMs = Date.now() - started;
        output(
          io.stdout,
          opts.json === true,
          {
            command: 'cleanup',
            backend: store.backend,
            removed,
            batches: progress.batches,
            olderThanMs: ms ?? 0,
            elapsedMs,
          },
          `removed ${removed} tasks in ${progress.batches} batch(es), ${seconds(elapsedMs)}`,
        );
      } finally {
        progress.bar.stop();
        await store.close();
      }
    });
}

export function registerMigrate(program: Command, io: CliIo): void {
  storeCommand(program, 'migrate', 'create or update the PostgreSQL / SQLite schema, or print its SQL')
    .option('--print-sql', 'print the SQL instead of running it (nothing is changed, no connection is made)')
    .action(async (opts: Flags) => {
      const store = await openStore(configFromFlags(opts, urlFlag(opts, 'url')), io, {
        // migrate itself, so the report says what this run applied
        postgres: { autoMigrate: false },
        sqlite: { autoMigrate: false },
      });
      try {
        if (opts.printSql === true) {
          const text = migrationSql(store);
          io.stdout.write(
            opts.json === true
              ? `${JSON.stringify({ command: 'migrate', sql: text })}\n`
              : `${text.trimEnd()}\n`,
          );
          return;
        }
        const result = await runMigrations(store);
        output(
          io.stdout,
          opts.json === true,
          { command: 'migrate', backend: store.backend, ...result },
          result.applied.length === 0
            ? `schema up to date (${result.alreadyApplied.length} migration(s) applied before)`
            : `applied ${result.applied.join(', ')}`,
        );
      } finally {
        await store.close();
      }
    });
}
