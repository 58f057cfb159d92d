/**
 * The create script's arguments for a whole task: its document, bookkeeping and lex index entries,
 * worked out on the client so the script only files them.
 */
import type { AgentTask } from '@taskvault/core';
import { type ScriptArg, scriptArgs } from './connection.js';
import { encodeDoc } from './doc.js';
import { distinctRequestIds, indexSuffixes, type KeyLayout, lexMember, pushLexEntries } from './keys.js';
import { SCRIPTS } from './scripts.js';

/** A nullable date as one argument: '' stands for null. */
export function nullable(value: Date | null): string | number {
  return value === null ? '' : value.getTime();
}

/** How a whole task is stored: besides the task, what the store works out for it. */
export interface WholeTaskWrite {
  /** Its size as core measured it (`maxTaskBytes`' measure). */
  bytes: number;
  /** Its live-until instant (epoch ms, null for never): its score in the expiry indexes. */
  liveUntil: number | null;
  /** The store's clock (epoch ms): a task already stored under the id is live or not by it. */
  now: number;
  /** Expired tasks the call may remove on the way. */
  purge: number;
  /** `replace` lets it overwrite a live task (restore); `create` answers EXISTS then. */
  mode: 'create' | 'replace';
  /** The change feed's retention (ms): the script trims the bucket's stream to it. */
  feedRetainMs: number;
}

/**
 * The create script's arguments for storing `task` whole, exactly as given (version and times
 * included): for create and for restore. Its size is kept without measuring the document again on
 * the server.
 */
export function wholeTaskArgs(layout: KeyLayout, task: AgentTask, write: WholeTaskWrite): ScriptArg[] {
  const id = task.taskId;
  const m = task.updatedAt.getTime();
  const createdAt = task.createdAt.getTime();
  const args = scriptArgs(SCRIPTS.create, ...layout.taskKeys(id));
  const doc = encodeDoc({
    version: task.version,
    updatedAt: m,
    status: task.status,
    expiresAt: task.expiresAt,
    createdAt,
    sessionId: task.sessionId,
    userId: task.userId,
    data: task.data,
    items: task.items,
  });
  // both the bookkeeping text and the lex entries list the request ids: worked out once
  const requestIds = distinctRequestIds(task.items);
  const suffixes = indexSuffixes(
    task.status,
    task.sessionId,
    task.userId,
    write.liveUntil !== null,
    requestIds,
  );
  const lex = lexMember(createdAt, id);
  args.push(write.now, id, doc, `${lex}\x1f${suffixes}`, m, write.liveUntil ?? '', write.purge, task.status);
  args.push(write.mode, write.bytes, write.feedRetainMs);
  pushLexEntries(args, lex, task.status, task.sessionId, task.userId, requestIds);
  return args;
}
