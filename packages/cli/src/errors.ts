/**
 * The command's failures and how they print: one line, `taskvault: <CODE>: <message>`, scrubbed
 * of secrets, and an exit code — 0 done, 1 failed, 2 the command line was wrong.
 */
import { isTaskStoreError } from '@taskvault/core';
import { scrubSecrets } from '@taskvault/core/adapter';

/** Exit codes: done, failed, wrong usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Codes the command adds to `TaskStoreError`'s for failures that are not a store's. */
export type CliErrorCode =
  | 'USAGE'
  | 'VERIFY_FAILED'
  | 'IO_ERROR'
  | 'INVALID_INPUT'
  | 'DRIVER_MISSING'
  | 'SOURCE_UNAVAILABLE';

/** A failure of the command itself (as opposed to one a store reported). */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: number;
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(scrubSecrets(message), options);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = code === 'USAGE' ? EXIT.usage : EXIT.failure;
  }
}

/** A command line that cannot run: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError('USAGE', message);
}

/** The one line a failure prints, and the exit code it ends with. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof CliError) {
    return { line: `taskvault: ${error.code}: ${error.message}`, exitCode: error.exitCode };
  }
  if (isTaskStoreError(error)) {
    // A bad configuration is a usage problem only when it came from our flags; the store's
    // message names the variable or flag either way, so it stays a failure (1).
    return { line: `taskvault: ${error.code}: ${oneLine(error.message)}`, exitCode: EXIT.failure };
  }
  const message = error instanceof Error ? error.message : String(error);
  // A file that cannot be read or written, a closed pipe: the system's own error.
  if (typeof (error as NodeJS.ErrnoException)?.syscall === 'string') {
    return { line: `taskvault: IO_ERROR: ${oneLine(scrubSecrets(message))}`, exitCode: EXIT.failure };
  }
  return { line: `taskvault: ERROR: ${oneLine(scrubSecrets(message))}`, exitCode: EXIT.failure };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
