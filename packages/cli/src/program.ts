/**
 * The `taskvault` command line: commander for parsing and help, every failure printed as one
 * line `taskvault: <CODE>: <message>` (scrubbed), exit codes 0 done / 1 failed / 2 usage.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerCleanup, registerMigrate, registerStats, registerVerify } from './cli/admin.js';
import { registerCopy, registerExport, registerImport } from './cli/data.js';
import { registerImportLegacy } from './cli/legacy.js';
import { describeFailure, EXIT } from './errors.js';
import { type CliIo, processIo } from './io.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The program, wired to `io`. Commander's own parse errors are usage errors (exit 2). */
export function buildProgram(io: CliIo): Command {
  const program = new Command('taskvault')
    .description(
      "Move and look after taskvault tasks: export, import, copy between backends, import the source systems' " +
        'data, stats, verify, cleanup, migrate. Stores are configured like createTaskStore(): flags first, ' +
        "then TASKVAULT_* variables (and the source systems' aliases).",
    )
    .version(version)
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        write(`taskvault: USAGE: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 failed, 2 wrong usage. Errors print as one line: taskvault: <CODE>: <message>.',
    );
  registerExport(program, io);
  registerImport(program, io);
  registerCopy(program, io);
  registerImportLegacy(program, io);
  registerStats(program, io);
  registerVerify(program, io);
  registerCleanup(program, io);
  registerMigrate(program, io);
  return program;
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves with the exit code.
 * Never rejects: failures are printed to `io.stderr`.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version end here too, with exit code 0; a parse error was printed already.
      if (error.exitCode === 0) return EXIT.ok;
      if (error.code === 'commander.executeSubCommandAsync' || error.code === 'commander.help')
        return EXIT.ok;
      return EXIT.usage;
    }
    const { line, exitCode } = describeFailure(error);
    io.stderr.write(`${line}\n`);
    return exitCode;
  }
}
