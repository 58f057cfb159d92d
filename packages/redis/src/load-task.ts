/**
 * `load` on Redis: one GET of the task's document — the whole answer for an active task — and for
 * a task in a terminal status one read-only script that reads the document again with its
 * live-until score (scripts/load-terminal-2.lua), so the two belong to the same task. A script on
 * every load (or MULTI) cost 35-80 % of load throughput; only terminal loads pay the second step.
 */
import type { AgentTask } from '@taskvault/core';
import { type Connection, scriptArgs } from './connection.js';
import { decodeTask } from './corruption.js';
import { isWrongType } from './driver-errors.js';
import type { KeyLayout } from './keys.js';
import { CorruptFound } from './replies.js';
import { SCRIPTS } from './scripts.js';

/** The statuses a retention policy may name: only they can end before their expiresAt. */
const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/**
 * The task `taskId` if it is live at `now` (epoch ms), else null.
 * @throws CorruptFound when the record cannot be read (the caller moves it aside).
 */
export async function loadLiveTask(
  conn: Connection,
  layout: KeyLayout,
  taskId: string,
  now: number,
): Promise<AgentTask | null> {
  let text: unknown;
  try {
    text = await conn.command('get', [layout.taskKey(taskId)]);
  } catch (error) {
    // another type of value under the task key: an unreadable record
    if (isWrongType(error)) throw new CorruptFound(taskId, '', 'the task record is not a string');
    throw error;
  }
  if (text === null) return null;
  const task = decodeTask(text, taskId);
  // expired but not yet purged: it does not exist
  if (task.expiresAt !== null && task.expiresAt.getTime() <= now) return null;
  // only a terminal task can carry an earlier retention deadline: its live-until instant is its
  // score in the expiry index (an active task's is its expiresAt, so it costs no call)
  if (!TERMINAL.has(task.status)) return task;
  const script = SCRIPTS.loadTerminal;
  const [again, score, wrong] = (await conn.script(script, [
    ...scriptArgs(script, ...layout.taskKeys(taskId)),
    taskId,
  ])) as [string | false | null, string | false | null, string | undefined];
  if (wrong !== undefined) throw new CorruptFound(taskId, '', 'the task record is not a string');
  if (typeof again !== 'string') return null; // deleted in between
  const current = again === text ? task : decodeTask(again, taskId);
  if (current.expiresAt !== null && current.expiresAt.getTime() <= now) return null;
  // the live-until instant is the earlier of the score and expiresAt (a damaged later score never lengthens a life)
  const until = typeof score === 'string' ? Number(score) : null;
  return until !== null && until <= now ? null : current;
}
