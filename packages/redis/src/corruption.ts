/**
 * Corrupt records: a stored document that does not parse, or a script's CORRUPT reply, becomes a
 * CorruptFound; the record is then moved to quarantine keys (so the rest of the namespace keeps
 * working) and reported through the store's `onCorrupt`.
 */
import type { AgentTask } from '@taskvault/core';
import { CorruptRecord, type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';
import { type Connection, scriptArgs } from './connection.js';
import { taskFromDoc, versionOf } from './doc.js';
import type { KeyLayout } from './keys.js';
import { CorruptFound, replyOf } from './replies.js';
import { SCRIPTS } from './scripts.js';

/** How often a read retries after moving a corrupt record aside. */
export const CORRUPT_RETRIES = 3;

/** Parses a stored document, turning a bad one into CorruptFound. */
export function decodeTask(text: unknown, taskId: string): AgentTask {
  try {
    return taskFromDoc(text, taskId);
  } catch (error) {
    if (error instanceof CorruptRecord) throw new CorruptFound(taskId, versionOf(text), error.detail);
    throw error;
  }
}

/** Tells the store's `onCorrupt` that a record was moved aside (`movedTo`: its quarantine key, if kept). */
export type ReportCorrupt = (
  operation: TaskStoreOperation,
  taskId: string,
  detail: string,
  movedTo: string | null,
) => void;

/** Moves corrupt records of one namespace aside, and runs operations that may meet one. */
export class Quarantine {
  constructor(
    private readonly conn: Connection,
    private readonly layout: KeyLayout,
    private readonly report: ReportCorrupt,
    /** The change feed's retention (ms): the quarantine script records a `deleted` change. */
    private readonly feedRetainMs: number,
  ) {}

  /**
   * Runs `fn`; when it finds a corrupt record, moves the record aside and rejects with
   * CORRUPT_DATA. When the record changed between reading and moving (someone rewrote it), the
   * operation runs again instead.
   */
  async corruptionAware<T>(operation: TaskStoreOperation, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof CorruptFound)) throw error;
        const moved = await this.move(error, operation);
        if (moved || attempt > CORRUPT_RETRIES) {
          throw taskStoreError(operation, 'CORRUPT_DATA', {
            taskId: error.taskId,
            detail: error.detail,
            backend: 'redis',
          });
        }
      }
    }
  }

  /**
   * Moves a corrupt record to quarantine keys and reports it (onCorrupt). False when it changed
   * since it was read (then nothing was moved).
   */
  async move(found: CorruptFound, operation: TaskStoreOperation): Promise<boolean> {
    const at = Date.now();
    const suffix = this.layout.quarantineSuffix(found.taskId, at);
    const args = scriptArgs(SCRIPTS.quarantine, ...this.layout.taskKeys(found.taskId));
    args.push(found.taskId, suffix, found.version, at, this.feedRetainMs);
    const [status, rest] = replyOf(await this.conn.script(SCRIPTS.quarantine, args));
    if (status !== 'OK') return false;
    const movedTo = Number(rest[0]) === 1 ? this.layout.quarantineKey(found.taskId, suffix) : null;
    this.report(operation, found.taskId, found.detail, movedTo);
    return true;
  }
}
