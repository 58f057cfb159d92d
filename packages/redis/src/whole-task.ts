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

/**
 * The create script's arguments for storing `task` whole, exactly as given (version and times
 * included): for create, and for restore (`replace` lets it overwrite a live task). `bytes` is its
 * size as core measured it (`maxTaskBytes`' measure), kept as the task's size without measuring
 * the document again on the server.
 */
export function wholeTaskArgs(
  layout: KeyLayout,
  task: AgentTask,
  bytes: number,
  purge: number,
  mode: 'create' | 'replace',
): ScriptArg[] {
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
    task.expiresAt !== null,
    requestIds,
  );
  const lex = lexMember(createdAt, id);
  args.push(m, id, doc, `${lex}\x1f${suffixes}`, m, nullable(task.expiresAt), purge, task.status);
  args.push(mode, bytes);
  pushLexEntries(args, lex, task.status, task.sessionId, task.userId, requestIds);
  return args;
}
