/**
 * The replies of the per-bucket read scripts (list, byRequest) made one answer, with the corrupt
 * records met on the way collected for the caller to move aside (it then asks again).
 */
import type { AgentTask } from '@taskvault/core';
import { compareIds, type NormalizedListQuery } from '@taskvault/core/adapter';
import { decodeTask } from './corruption.js';
import { compareLex, LEX_TIME_DIGITS } from './keys.js';
import { CorruptFound, replyOf, unexpected } from './replies.js';

/** An answer, and the corrupt records found instead of some of it. */
export interface ReadAnswer<T> {
  answer: T;
  corrupt: CorruptFound[];
}

/**
 * The page of a list from each bucket's reply. `merge` (several buckets): each reply holds its
 * bucket's first offset + limit + 1 matches; they are merged in `query.order` and cut to the
 * page, skipping the offset, before any document is parsed (parsing is most of a page's cost).
 * One bucket's reply is the page already.
 */
export function listPage(
  replies: unknown[],
  query: NormalizedListQuery,
  merge: boolean,
): ReadAnswer<AgentTask[]> {
  // (lex member, document) of each match
  let found: [string, unknown][] = [];
  const corrupt: CorruptFound[] = [];
  for (const reply of replies) {
    const [docs, bad] = Array.isArray(reply) ? (reply as unknown[][]) : [[], []];
    if (!Array.isArray(docs) || !Array.isArray(bad)) throw unexpected('list', reply);
    for (let i = 0; i < docs.length; i += 2) found.push([String(docs[i]), docs[i + 1]]);
    for (let i = 0; i < bad.length; i += 2) {
      corrupt.push(new CorruptFound(String(bad[i]), String(bad[i + 1]), 'unreadable'));
    }
  }
  if (merge) {
    found.sort(query.order === 'asc' ? (a, b) => compareLex(a[0], b[0]) : (a, b) => compareLex(b[0], a[0]));
    found = found.slice(query.offset, query.offset + query.limit + 1);
  }
  const tasks: AgentTask[] = [];
  for (const [lex, doc] of found) {
    try {
      tasks.push(decodeTask(doc, lex.slice(LEX_TIME_DIGITS)));
    } catch (error) {
      if (!(error instanceof CorruptFound)) throw error;
      corrupt.push(error);
    }
  }
  return { answer: tasks, corrupt };
}

/**
 * The task holding a request id, from each bucket's byRequest reply: the earliest holder (by
 * createdAt, then taskId) among the readable ones, or null when no bucket has one.
 */
export function earliestHolder(replies: unknown[]): ReadAnswer<AgentTask | null> {
  let best: AgentTask | null = null;
  const corrupt: CorruptFound[] = [];
  for (const reply of replies) {
    const [status, rest] = replyOf(reply);
    if (status === 'MISSING') continue;
    if (status === 'CORRUPT') {
      corrupt.push(new CorruptFound(String(rest[0]), String(rest[1]), 'its fields are missing or malformed'));
      continue;
    }
    if (status !== 'OK') throw unexpected('by_request', reply);
    try {
      const task = decodeTask(rest[1], String(rest[0]));
      if (best === null || compareTasks(task, best) < 0) best = task;
    } catch (error) {
      if (!(error instanceof CorruptFound)) throw error;
      corrupt.push(error);
    }
  }
  return { answer: best, corrupt };
}

/** Orders tasks by (createdAt, taskId), the order of the lex indexes. */
function compareTasks(a: AgentTask, b: AgentTask): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.taskId, b.taskId);
}
