/**
 * verify on Redis: every bucket walked in bounded steps of the verify script (verify-1.lua) — the
 * tasks against their entries, the bookkeeping, the other lex entries, the scored indexes — each
 * resumed from a cursor. Unreadable records are reported once each, and with repair moved aside.
 */
import type { VerifyProblemKind } from '@taskvault/core';
import type { VerifyRequest } from '@taskvault/core/adapter';
import { type Connection, scriptArgs } from './connection.js';
import type { Bucket } from './keys.js';
import { CorruptFound, unexpected } from './replies.js';
import { SCRIPTS } from './scripts.js';

/** The walks, in order. */
const WALKS = ['tasks', 'ix', 'entries', 'scored'] as const;

/**
 * Runs every walk over every bucket, reporting through `request.report`. `quarantine` moves an
 * unreadable record aside (and reports it): true when it did.
 */
export async function verifyBuckets(
  conn: Connection,
  buckets: readonly Bucket[],
  request: VerifyRequest,
  now: () => number,
  quarantine: (found: CorruptFound) => Promise<boolean>,
): Promise<void> {
  const report = request.report;
  const corruptSeen = new Set<string>();
  for (const bucket of buckets) {
    for (const walk of WALKS) {
      let cursor = '';
      do {
        const args = scriptArgs(SCRIPTS.verify, bucket.idx);
        args.push(now(), walk, cursor, request.batchSize, request.repair ? '1' : '0');
        const reply = await conn.script(SCRIPTS.verify, args);
        if (!Array.isArray(reply) || reply.length !== 4) throw unexpected(SCRIPTS.verify.name, reply);
        const [next, checked, problems, corrupt] = reply as [string, number, string[], string[]];
        for (let i = 0; i < problems.length; i += 5) {
          const [kind, taskId, index, detail, repaired] = problems.slice(i, i + 5) as [
            VerifyProblemKind,
            string,
            string,
            string,
            string,
          ];
          report.problem({ kind, taskId, index, detail }, repaired === '1');
        }
        for (let i = 0; i < corrupt.length; i += 2) {
          const taskId = String(corrupt[i]);
          if (corruptSeen.has(taskId)) continue;
          corruptSeen.add(taskId);
          const found = new CorruptFound(taskId, String(corrupt[i + 1]), 'the task record is unreadable');
          const moved = request.repair && (await quarantine(found));
          report.problem({ kind: 'corrupt-record', taskId, index: null, detail: found.detail }, moved);
        }
        report.checked(Number(checked));
        cursor = String(next);
      } while (cursor !== '');
    }
  }
}
