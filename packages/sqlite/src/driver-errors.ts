/**
 * better-sqlite3 errors -> TaskStoreError codes, by SQLite's own (extended) result code:
 * - `SQLITE_BUSY*`, `SQLITE_LOCKED*`: another connection held the lock past the busy timeout —
 *   BACKEND_UNAVAILABLE (retry later may work; nothing was written).
 * - `SQLITE_CANTOPEN*`: the file cannot be opened (missing directory, no permission) —
 *   BACKEND_UNAVAILABLE, with a detail saying what to check.
 * - `SQLITE_CORRUPT*`, `SQLITE_NOTADB`: the file itself is damaged or not a database —
 *   CORRUPT_DATA, with a detail saying to restore a backup.
 * - `SQLITE_FULL`, `SQLITE_IOERR*`, `SQLITE_READONLY*`, and everything else — BACKEND_ERROR,
 *   with a detail naming the condition (disk full, I/O error, read-only file).
 */
import type { TaskStoreError } from '@taskvault/core';
import { type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // better-sqlite3 checks the directory itself, before SQLite is asked, and throws a plain TypeError
  return /directory does not exist/.test(messageOf(error)) ? 'SQLITE_CANTOPEN' : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the store says about a result code, beyond SQLite's own message. */
function adviceFor(code: string): { code: TaskStoreError['code']; advice: string } {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return {
      code: 'BACKEND_UNAVAILABLE',
      advice:
        'another connection held the database lock for longer than busyTimeoutMs; nothing was written, retry later',
    };
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return {
      code: 'BACKEND_UNAVAILABLE',
      advice: 'the database file cannot be opened: check that its directory exists and is writable',
    };
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return {
      code: 'CORRUPT_DATA',
      advice: 'the database file is damaged or not a SQLite database: restore it from a backup',
    };
  }
  if (code === 'SQLITE_FULL')
    return { code: 'BACKEND_ERROR', advice: 'the disk is full: free space and retry' };
  if (code.startsWith('SQLITE_IOERR')) {
    return {
      code: 'BACKEND_ERROR',
      advice: 'the disk reported an I/O error while reading or writing the file',
    };
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return {
      code: 'BACKEND_ERROR',
      advice: 'the database file (or its directory, where the -wal and -shm files live) is read-only',
    };
  }
  return { code: 'BACKEND_ERROR', advice: '' };
}

/** True when `error` means the database could not be used in time (retrying later may work). */
export function isUnavailable(error: unknown): boolean {
  return adviceFor(codeOf(error)).code === 'BACKEND_UNAVAILABLE';
}

/**
 * The TaskStoreError for a driver error, with the driver error as `cause` and its result code,
 * message and advice as detail.
 */
export function wrapDriverError(
  operation: TaskStoreOperation,
  error: unknown,
  taskId?: string,
): TaskStoreError {
  const code = codeOf(error);
  const { code: mapped, advice } = adviceFor(code);
  const text = messageOf(error);
  const detail = [code !== '' && !text.includes(code) ? `${code}: ${text}` : text, advice]
    .filter((s) => s !== '')
    .join('; ');
  return taskStoreError(operation, mapped, { backend: 'sqlite', taskId, detail, cause: error });
}
