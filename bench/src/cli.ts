/** `pnpm bench`: parses flags, runs, prints the markdown report and writes the JSON file. */
import { fileURLToPath } from 'node:url';
import { HELP, parseOptions } from './options.js';
import type { ProgressStream } from './progress.js';
import { renderMarkdown, writeJson } from './report.js';
import type { BenchResults } from './results.js';
import { runBench } from './run.js';

/** Where a run writes and what it found. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  /** Default directory of the JSON results; bench/results next to this package. */
  resultsDir?: string;
}

/** What `main` resolves with: the exit code, and the results when a run happened. */
export interface CliOutcome {
  exitCode: number;
  results: BenchResults | null;
  jsonFile: string | null;
}

const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/**
 * Runs the command line `argv` (without node and script). Exit code 0 when every requested cell
 * ran, 1 when any backend, cell or scale run failed (missed targets are reported, not failures),
 * 2 for a bad command line.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<CliOutcome> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv, io.resultsDir ?? DEFAULT_RESULTS_DIR);
  } catch (error) {
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return { exitCode: 2, results: null, jsonFile: null };
  }
  if (parsed.help) {
    io.stdout.write(HELP);
    return { exitCode: 0, results: null, jsonFile: null };
  }
  const results = await runBench(parsed.options, io.stderr);
  io.stdout.write(renderMarkdown(results));
  let jsonFile: string | null = null;
  if (parsed.options.resultsDir !== null) {
    jsonFile = await writeJson(results, parsed.options.resultsDir);
    io.stderr.write(`results: ${jsonFile}\n`);
  }
  const failed =
    (results.copy?.error ?? null) !== null ||
    results.backends.some(
      (b) =>
        b.error !== null ||
        b.scaleError !== null ||
        b.writeCostError !== null ||
        b.a2aError !== null ||
        b.a2a.some((c) => c.error !== null) ||
        b.cells.some((c) => c.error !== null) ||
        b.writeCost.some((p) => p.error !== null),
    );
  return { exitCode: failed ? 1 : 0, results, jsonFile };
}
