/** `verify` finds what was broken behind the store, and `repair` mends it. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { SqliteTaskStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const path = join(tempDir(), 'verify.db');
const item = (requestId: string) => ({
  requestId,
  role: 'user' as const,
  content: requestId,
  createdAt: new Date(),
});

it('missing and orphan index entries, wrong counters and unreadable rows are found, then repaired', async () => {
  const seen: string[] = [];
  const store = new SqliteTaskStore({ path, namespace: 'v', onCorrupt: (r) => seen.push(r.taskId) });
  for (let i = 0; i < 30; i++) await store.create({ taskId: `t${i}`, items: [item(`r${i}`), item(`q${i}`)] });
  expect((await store.verify({ batchSize: 7 })).ok).toBe(true);

  const db = new Database(path);
  db.prepare("DELETE FROM taskvault_requests WHERE namespace = 'v' AND request_id = 'r3'").run();
  db.prepare(
    "INSERT INTO taskvault_requests VALUES ('v', 'stray', 0, 't4'), ('v', 'ghost', 0, 'nobody')",
  ).run();
  db.prepare("UPDATE taskvault_counts SET n = n + 5 WHERE namespace = 'v' AND status = 'pending'").run();
  db.prepare("UPDATE taskvault_tasks SET data = '{broken' WHERE namespace = 'v' AND task_id = 't9'").run();
  db.close();

  const progress: number[] = [];
  const found = await store.verify({ batchSize: 7, onProgress: (p) => progress.push(p.checked) });
  expect(found.ok).toBe(false);
  expect(found.checked).toBe(30);
  expect(progress.length).toBeGreaterThan(4);
  expect(found.problems.map((p) => `${p.kind}:${p.taskId}`).sort()).toEqual(
    [
      'corrupt-record:t9',
      'count-mismatch:null',
      'missing-index-entry:t3',
      'orphan-index-entry:nobody',
      'orphan-index-entry:t4',
    ].sort(),
  );
  expect(found.problems.every((p) => !p.repaired)).toBe(true);

  const repaired = await store.verify({ repair: true, batchSize: 7 });
  expect(repaired.problemCount).toBe(5);
  expect(repaired.repaired).toBe(5);
  expect(repaired.ok).toBe(true);
  expect(seen).toEqual(['t9']);

  const after = await store.verify();
  expect(after).toMatchObject({ ok: true, problemCount: 0, checked: 29 });
  expect(await store.loadByRequestId('r3')).toMatchObject({ taskId: 't3' });
  expect(await store.loadByRequestId('stray')).toBeNull();
  expect(await store.count()).toBe(29);
  const db2 = new Database(path);
  expect(db2.prepare("SELECT task_id, reason FROM taskvault_quarantine WHERE namespace = 'v'").all()).toEqual(
    [{ task_id: 't9', reason: 'data is not valid JSON' }],
  );
  db2.close();
  await store.close();
});
