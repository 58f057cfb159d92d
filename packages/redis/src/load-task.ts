/**
 * `load` on Redis: one GET of the task's document, and for a task in a terminal status one ZSCORE
 * of its live-until instant (see scripts/lib/live.lua). No script: a script call costs more than
 * both commands.
 */
import type { AgentTask } from '@taskvault/core';
import type { Connection } from './connection.js';
import { decodeTask } from './corruption.js';
import { isWrongType } from './driver-errors.js';
import type { KeyLayout } from './keys.js';
import { CorruptFound } from './replies.js';

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
  // score in the expiry index (an active task's is its expiresAt, so it costs no call). Not atomic
  // with the GET; docs/contract.md "Retention on Redis" says why that is accepted.
  if (!TERMINAL.has(task.status)) return task;
  const until = await liveUntilScore(conn, layout, taskId);
  return until !== null && until <= now ? null : task;
}

/** A task's score in its bucket's expiry index (its live-until instant), or null. */
async function liveUntilScore(conn: Connection, layout: KeyLayout, taskId: string): Promise<number | null> {
  try {
    const score = await conn.command('zscore', [layout.expiryKey(taskId), taskId]);
    return score === null ? null : Number(score);
  } catch (error) {
    // a foreign value under the index: the task keeps its expiresAt, as the scripts read it
    if (isWrongType(error)) return null;
    throw error;
  }
}
