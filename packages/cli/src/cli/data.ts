/** `export`, `import`, `copy`: the commands that move tasks. */
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { RestoreReport, TaskStore } from '@taskvault/core';
import { type Command, Option } from 'commander';
import { copyTasks } from '../commands/copy.js';
import { exportTasks } from '../commands/export.js';
import { importTasks } from '../commands/import.js';
import { compareStores } from '../compare.js';
import { CliError, usageError } from '../errors.js';
import { collectorBetweenBatches } from '../heap.js';
import type { CliIo } from '../io.js';
import { startProgress } from '../progress.js';
import { backendOf, configFromFlags, configFromUrl, openStore, type StoreFlags } from '../target.js';
import { countFor } from '../walk.js';
import {
  jsonFlag,
  output,
  positiveInt,
  rate,
  seconds,
  statuses,
  statusOption,
  storeFlags,
  urlFlag,
  withStore,
} from './shared.js';

function conflictOption(): Option {
  return new Option(
    '--on-conflict <mode>',
    'a task whose id is already there: skip (resumable), fail, replace',
  )
    .choices(['skip', 'fail', 'replace'])
    .default('skip');
}

function restoreLine(r: RestoreReport): string {
  return `restored ${r.restored}, replaced ${r.replaced}, skipped ${r.skipped}, expired ${r.expired}`;
}

export function registerExport(program: Command, io: CliIo): void {
  const cmd = program
    .command('export')
    .description('write every task of a namespace as NDJSON (one task per line, Dates as ISO strings)')
    .option('--from <url>', 'the store as a URL: redis://, postgres://, sqlite:<path>')
    .option('--url <url>', 'same as --from')
    .addOption(statusOption())
    .option('--out <file>', 'write to this file instead of stdout');
  storeFlags(cmd);
  jsonFlag(cmd);
  cmd.addHelpText(
    'after',
    '\nExample:\n  taskvault export --from redis://localhost:6379 --namespace agents > tasks.ndjson',
  );
  cmd.action(async (opts: StoreFlags & Record<string, unknown>) => {
    const status = statuses(opts.status);
    await withStore(io, opts, urlFlag(opts, 'from', 'url'), async (store) => {
      const file = typeof opts.out === 'string' ? createWriteStream(opts.out) : undefined;
      const total = await countFor(store, { status });
      const progress = startProgress(io.stderr, 'export', total);
      const collect = collectorBetweenBatches();
      let summary: Awaited<ReturnType<typeof exportTasks>>;
      try {
        summary = await exportTasks(store, file ?? io.stdout, {
          status,
          onProgress: (n) => {
            progress.update(n);
            collect();
          },
        });
      } finally {
        progress.stop();
        if (file !== undefined) {
          file.end();
          await finished(file);
        }
      }
      // With the data on stdout, the summary goes to stderr.
      const result = {
        command: 'export',
        backend: store.backend,
        ...summary,
        rate: rate(summary.exported, summary.elapsedMs),
      };
      output(
        file === undefined ? io.stderr : io.stdout,
        opts.json === true,
        result,
        `exported ${summary.exported} tasks in ${seconds(summary.elapsedMs)} (${result.rate}/s)`,
      );
    });
  });
}

export function registerImport(program: Command, io: CliIo): void {
  const cmd = program
    .command('import')
    .description('restore tasks exactly from NDJSON (a file, or stdin)')
    .argument('[file]', 'NDJSON file; default stdin')
    .option('--to <url>', 'the store as a URL: redis://, postgres://, sqlite:<path>')
    .option('--url <url>', 'same as --to')
    .addOption(conflictOption())
    .option('--batch-size <n>', 'tasks per write (1..1000, default 100)', positiveInt('--batch-size'));
  storeFlags(cmd);
  jsonFlag(cmd);
  cmd.addHelpText(
    'after',
    '\nA bad line stops the import and is named by its number; nothing of it is written. Run the same\ncommand again after a stop: with --on-conflict skip (the default) what landed is skipped.\n\nExample:\n  taskvault import --to postgres://user@db/tasks < tasks.ndjson',
  );
  cmd.action(async (file: string | undefined, opts: StoreFlags & Record<string, unknown>) => {
    if (file === undefined && (io.stdin as { isTTY?: boolean }).isTTY === true) {
      throw usageError(
        'import reads NDJSON from a file or a pipe: taskvault import tasks.ndjson, or < tasks.ndjson',
      );
    }
    await withStore(io, opts, urlFlag(opts, 'to', 'url'), async (store) => {
      const input = file === undefined ? io.stdin : createReadStream(file);
      const progress = startProgress(io.stderr, 'import', null);
      const collect = collectorBetweenBatches();
      try {
        const summary = await importTasks(store, input, {
          onConflict: opts.onConflict as 'skip',
          ...(typeof opts.batchSize === 'number' ? { batchSize: opts.batchSize } : {}),
          onProgress: (p) => {
            progress.update(p.restored + p.replaced + p.skipped + p.expired);
            collect();
          },
        });
        progress.stop();
        output(
          io.stdout,
          opts.json === true,
          { command: 'import', backend: store.backend, ...summary },
          `imported ${summary.lines} lines in ${seconds(summary.elapsedMs)}: ${restoreLine(summary)}`,
        );
      } finally {
        progress.stop();
        if (file !== undefined) (input as { destroy(): void }).destroy();
      }
    });
  });
}

export function registerCopy(program: Command, io: CliIo): void {
  const cmd = program
    .command('copy')
    .description('copy every task of a namespace from one store to another, in bounded memory')
    .option('--from <url>', 'source store URL (else the backend flags / TASKVAULT_* variables)')
    .requiredOption('--to <url>', 'target store URL: redis://, rediss://, postgres://, sqlite:<path>')
    .option('--to-namespace <name>', 'namespace in the target (default: the same as the source)')
    .addOption(statusOption())
    .addOption(conflictOption())
    .option('--batch-size <n>', 'tasks per write (1..1000, default 100)', positiveInt('--batch-size'))
    .option('--verify', 'afterwards, compare counts and a SHA-256 of every task on both sides');
  storeFlags(cmd);
  jsonFlag(cmd);
  cmd.addHelpText(
    'after',
    '\nExample:\n  taskvault copy --from redis://localhost:6379 --to postgres://user@db/tasks --verify',
  );
  cmd.action(async (opts: StoreFlags & Record<string, unknown>) => {
    const status = statuses(opts.status);
    const sourceConfig = configFromFlags(opts, urlFlag(opts, 'from'));
    const targetConfig = {
      ...configFromUrl(opts.to as string, '--to'),
      ...(typeof opts.toNamespace === 'string'
        ? { namespace: opts.toNamespace }
        : opts.namespace !== undefined
          ? { namespace: opts.namespace }
          : {}),
    };
    for (const [side, config] of [
      ['source', sourceConfig],
      ['target', targetConfig],
    ] as const) {
      if (backendOf(config, io) === 'memory') {
        throw usageError(
          `the ${side} is the memory backend, which lives only inside one process: copy needs two stores that persist`,
        );
      }
    }
    if (typeof opts.from === 'string' && opts.from === opts.to && opts.toNamespace === undefined) {
      throw usageError(
        '--from and --to name the same store and namespace; give --to-namespace to copy within one store',
      );
    }
    const from = await openStore(sourceConfig, io);
    let to: TaskStore | undefined;
    try {
      to = await openStore(targetConfig, io);
      const total = await countFor(from, { status });
      const progress = startProgress(io.stderr, 'copy', total);
      const collect = collectorBetweenBatches();
      let summary: Awaited<ReturnType<typeof copyTasks>>;
      try {
        summary = await copyTasks(from, to, {
          status,
          onConflict: opts.onConflict as 'skip',
          ...(typeof opts.batchSize === 'number' ? { batchSize: opts.batchSize } : {}),
          onProgress: (p) => {
            progress.update(p.read);
            collect();
          },
        });
      } finally {
        progress.stop();
      }
      const result: Record<string, unknown> = {
        command: 'copy',
        from: from.backend,
        to: to.backend,
        ...summary,
        rate: rate(summary.read, summary.elapsedMs),
      };
      let human = `copied ${summary.read} tasks from ${from.backend} to ${to.backend} in ${seconds(summary.elapsedMs)} (${result.rate}/s): ${restoreLine(summary)}`;
      if (opts.verify === true) {
        const verifying = startProgress(io.stderr, 'verify', total);
        const check = await compareStores(from, to, { status }, (n) => verifying.update(n)).finally(() =>
          verifying.stop(),
        );
        result.verify = check;
        human += `\nverify: source ${check.sourceCount}, target ${check.targetCount}, compared ${check.compared}, missing ${check.missing}, extra ${check.extra}, different ${check.different}`;
        for (const d of check.differences) human += `\n  ${d.kind}: ${JSON.stringify(d.taskId)}`;
        if (!check.ok) {
          output(io.stdout, opts.json === true, result, human);
          throw new CliError(
            'VERIFY_FAILED',
            "the target does not hold exactly the source's tasks (see above)",
          );
        }
      }
      output(io.stdout, opts.json === true, result, human);
    } finally {
      await Promise.all([from.close(), to?.close()]);
    }
  });
}
