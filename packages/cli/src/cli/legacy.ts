/** `import-legacy teal-redis` and `import-legacy lybic-postgres`: the source systems' own data. */
import { type Command, Option } from 'commander';
import type { CliIo } from '../io.js';
import { connectLybic, lybicRecords, quoteTable } from '../legacy/lybic-postgres.js';
import { type LegacyImportSummary, type LegacyRecord, restoreLegacy } from '../legacy/restore-legacy.js';
import { checkTealIndex, connectTeal, type TealReadReport, tealRecords } from '../legacy/teal-redis.js';
import { startProgress } from '../progress.js';
import type { StoreFlags } from '../target.js';
import { jsonFlag, output, positiveInt, seconds, storeFlags, urlFlag, withStore } from './shared.js';

type Flags = StoreFlags & Record<string, unknown>;

function legacyCommand(parent: Command, name: string, source: string, description: string): Command {
  const cmd = parent
    .command(name)
    .description(description)
    .argument(source, 'where the source system keeps its data')
    .option('--to <url>', 'target store URL (else the backend flags / TASKVAULT_* variables)')
    .addOption(
      new Option('--on-conflict <mode>', 'a task whose id is already there: skip (resumable) or replace')
        .choices(['skip', 'replace'])
        .default('skip'),
    )
    .option(
      '--skip-invalid',
      'skip records that cannot become tasks (counted and listed) instead of stopping',
    )
    .option(
      '--batch-size <n>',
      'records per read and tasks per write (1..1000)',
      positiveInt('--batch-size'),
    );
  storeFlags(cmd);
  jsonFlag(cmd);
  return cmd;
}

async function importInto(
  io: CliIo,
  opts: Flags,
  label: string,
  records: AsyncIterable<LegacyRecord>,
): Promise<{ backend: string; summary: LegacyImportSummary }> {
  return withStore(io, opts, urlFlag(opts, 'to'), async (store) => {
    const progress = startProgress(io.stderr, label, null);
    try {
      const summary = await restoreLegacy(store, records, {
        onConflict: opts.onConflict as 'skip',
        skipInvalid: opts.skipInvalid === true,
        ...(typeof opts.batchSize === 'number' ? { batchSize: Math.min(opts.batchSize, 1000) } : {}),
        onProgress: (p) => progress.update(p.read),
      });
      return { backend: store.backend, summary };
    } finally {
      progress.stop();
    }
  });
}

function summaryLines(label: string, backend: string, s: LegacyImportSummary): string[] {
  return [
    `${label}: read ${s.read} records into ${backend} in ${seconds(s.elapsedMs)}: restored ${s.restored}, replaced ${s.replaced}, skipped ${s.skipped}, expired ${s.expired}, invalid ${s.invalid}`,
    ...s.invalidRecords.map((r) => `  invalid: ${r}`),
  ];
}

export function registerImportLegacy(program: Command, io: CliIo): void {
  const parent = program
    .command('import-legacy')
    .description("import the source systems' own data: Teal Agents' Redis keys, Lybic's agent_tasks table");

  legacyCommand(parent, 'teal-redis', '<redis-url>', "import Teal Agents' task_persistence:* keys from Redis")
    .option('--key-prefix <prefix>', "Teal's key prefix", 'task_persistence')
    .option('--no-expiry', "do not carry each key's remaining TTL over as the task's expiresAt")
    .action(async (url: string, opts: Flags) => {
      const client = await connectTeal(url, io.cwd);
      try {
        const report: TealReadReport = { vanished: 0, indexKeys: 0, indexEntries: 0, orphanIndexEntries: 0 };
        const read = {
          prefix: opts.keyPrefix as string,
          keepExpiry: opts.expiry !== false,
          ...(typeof opts.batchSize === 'number' ? { scanCount: opts.batchSize } : {}),
        };
        const { backend, summary } = await importInto(
          io,
          opts,
          'teal-redis',
          tealRecords(client, report, read),
        );
        await checkTealIndex(client, report, read);
        output(
          io.stdout,
          opts.json === true,
          { command: 'import-legacy teal-redis', backend, ...summary, ...report },
          [
            ...summaryLines('teal-redis', backend, summary),
            `  ${report.vanished} key(s) expired during the import; request index: ${report.indexKeys} keys, ${report.indexEntries} entries, ${report.orphanIndexEntries} pointing at no task (taskvault rebuilds its index from the items)`,
          ].join('\n'),
        );
      } finally {
        client.disconnect();
      }
    });

  legacyCommand(
    parent,
    'lybic-postgres',
    '<postgres-url>',
    "import Lybic's agent_tasks table from PostgreSQL",
  )
    .option('--table <name>', 'the table (name or schema.name)', 'agent_tasks')
    .action(async (url: string, opts: Flags) => {
      quoteTable(opts.table as string);
      const client = await connectLybic(url, io.cwd);
      try {
        const read = {
          table: opts.table as string,
          ...(typeof opts.batchSize === 'number' ? { batchSize: opts.batchSize } : {}),
        };
        const { backend, summary } = await importInto(io, opts, 'lybic-postgres', lybicRecords(client, read));
        output(
          io.stdout,
          opts.json === true,
          { command: 'import-legacy lybic-postgres', backend, ...summary },
          summaryLines('lybic-postgres', backend, summary).join('\n'),
        );
      } finally {
        await client.end().catch(() => undefined);
      }
    });
}
