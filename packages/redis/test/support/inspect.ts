/**
 * Reads a namespace's keys straight from Redis and checks that tasks and index entries agree:
 * every task is in exactly the indexes its fields call for, its bookkeeping lists exactly those,
 * and every index entry belongs to a task that is there. Test-only: it uses KEYS, which the store
 * itself never does.
 */
import { taskSize } from '@taskvault/core/adapter';
import type { Redis } from 'ioredis';
import { taskFromDoc } from '../../src/doc.js';
import type { Bucket } from '../../src/index.js';
import { lexMember } from '../../src/index.js';

interface StoredHead {
  s: string;
  e: string | null;
  u: string | null;
  x: number | null;
  c: number;
  m: number;
  i: [string, ...unknown[]][];
}

/** Every problem found, as readable lines; empty when tasks and indexes agree. */
export async function indexProblems(redis: Redis, bucket: Bucket): Promise<string[]> {
  const p = bucket.prefix;
  const keys = await redis.keys(`${p}*`);
  const problems: string[] = [];
  const expected = new Set<string>();
  const actual = new Set<string>();
  const taskIds = new Set<string>();
  const updatedAt = new Map<string, number>();

  for (const key of keys) {
    const rest = key.slice(p.length);
    if (rest.startsWith('t:')) taskIds.add(rest.slice(2));
  }
  const bookkeeping = await redis.hgetall(`${p}ix`);
  for (const id of taskIds) {
    const doc = JSON.parse((await redis.get(`${p}t:${id}`)) ?? 'null') as StoredHead;
    const lex = lexMember(doc.c, id);
    updatedAt.set(id, doc.m);
    const suffixes = ['all', `st:${doc.s}`, `up:${doc.s}`];
    // in the expiry indexes when it has a live-until instant: its expiresAt, or (a terminal task)
    // the earlier retention deadline its writer's policy set, the same score in both
    const until = await redis.zscore(`${p}exp`, id);
    const terminal = ['completed', 'failed', 'cancelled'].includes(doc.s);
    if (doc.x !== null || (terminal && until !== null)) {
      suffixes.push('exp', `ex:${doc.s}`);
      const wanted = terminal ? Number(until) : doc.x;
      if (until === null || Number(until) !== wanted || (doc.x !== null && Number(until) > doc.x))
        problems.push(`task ${id}: exp score ${until} is not its live-until instant`);
      const byStatus = await redis.zscore(`${p}ex:${doc.s}`, id);
      if (byStatus !== until)
        problems.push(`task ${id}: ex:${doc.s} score ${byStatus} != exp score ${until}`);
    }
    if (doc.e !== null) suffixes.push(`ss:${doc.e}`);
    if (doc.u !== null) suffixes.push(`us:${doc.u}`);
    for (const requestId of new Set(doc.i.map((item) => item[0]))) suffixes.push(`rq:${requestId}`);
    for (const f of suffixes) {
      if (f.startsWith('up:') || f.startsWith('ex:') || f === 'exp') expected.add(`${f}|${id}`);
      else expected.add(`idx|${f}\0${lex}`);
    }
    const ix = bookkeeping[id];
    if (ix === undefined) {
      problems.push(`task ${id}: no bookkeeping`);
    } else {
      const [ixLex, ...listed] = ix.split('\x1f');
      if (ixLex !== lex) problems.push(`task ${id}: bookkeeping lex ${ixLex} != ${lex}`);
      if ([...listed].sort().join('|') !== [...suffixes].sort().join('|')) {
        problems.push(`task ${id}: bookkeeping lists ${listed.join(', ')}, not ${suffixes.join(', ')}`);
      }
    }
  }
  for (const id of Object.keys(bookkeeping)) {
    if (!taskIds.has(id)) problems.push(`bookkeeping without task: ${id}`);
  }
  // the kept sizes: exactly core's size of each task, and only of tasks that are there
  const sizes = await redis.hgetall(`${p}sz`);
  for (const id of taskIds) {
    const size = taskSize(taskFromDoc(await redis.get(`${p}t:${id}`), id));
    if (sizes[id] !== String(size)) problems.push(`task ${id}: kept size ${sizes[id]} != ${size}`);
  }
  for (const id of Object.keys(sizes)) {
    if (!taskIds.has(id)) problems.push(`kept size without task: ${id}`);
  }
  for (const key of keys) {
    const rest = key.slice(p.length);
    if (
      ['ix', 'sz', 'shards', 'ch'].includes(rest) ||
      rest.startsWith('t:') ||
      rest.startsWith('quarantine:') ||
      rest.startsWith('sweep:')
    )
      continue;
    if ((await redis.type(key)) !== 'zset') {
      problems.push(`unexpected key ${key}`);
      continue;
    }
    const members = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    for (let i = 0; i < members.length; i += 2) {
      const member = members[i]!;
      actual.add(`${rest}|${member}`);
      // an up:<status> entry holds a lower bound of the task's updatedAt (cleanup refreshes it)
      const m = updatedAt.get(member);
      if (rest.startsWith('up:') && m !== undefined && Number(members[i + 1]) > m) {
        problems.push(`${rest}: score of ${member} is after its updatedAt`);
      }
    }
  }
  for (const entry of expected) if (!actual.has(entry)) problems.push(`missing index entry ${entry}`);
  for (const entry of actual) if (!expected.has(entry)) problems.push(`index entry without task ${entry}`);
  return problems;
}
