/**
 * The indexes against a plain model: random creates, updates, patches, deletes and clock steps
 * (seeded, so a failure replays), checking after each step that every list walk, count,
 * countActive and loadByRequestId answers what a naive filter-and-sort over all tasks answers.
 */
import type { AgentTask, TaskItem, TaskStatus } from '@taskvault/core';
import { compareIds } from '@taskvault/core/adapter';
import { describe, expect, it } from 'vitest';
import { MemoryTaskStore } from '../src/index.js';

/** A store whose clock the test moves. */
class ClockedStore extends MemoryTaskStore {
  clock = Date.UTC(2030, 0, 1);
  protected override now(): Date {
    return new Date(this.clock);
  }
}

/** mulberry32: a small seeded PRNG. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  return { next, int, pick };
}

const STATUSES: TaskStatus[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];
const ACTIVE: TaskStatus[] = ['pending', 'running', 'paused'];
// Ids whose code point order differs from UTF-16 order, plus plain ones.
const IDS = Array.from(
  { length: 40 },
  (_, i) => ['a', 'B', 'z', '\uFFFD', '\u{1F600}', 'é'][i % 6]! + (i >> 1),
);
const REQUESTS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
const SESSIONS = ['s1', 's2', 's3'];
const USERS = ['u1', 'u2'];
const BASE = Date.UTC(2029, 0, 1);
const CREATED = Array.from({ length: 8 }, (_, i) => new Date(BASE + i * 1000));

function compareTasks(a: AgentTask, b: AgentTask): number {
  const d = a.createdAt.getTime() - b.createdAt.getTime();
  return d !== 0 ? d : compareIds(a.taskId, b.taskId);
}

describe('memory store: indexes agree with a naive model', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`random operations, seed ${seed}`, async () => {
      const rnd = random(seed);
      await using store = new ClockedStore();
      const model = new Map<string, AgentTask>();
      const alive = () =>
        [...model.values()].filter((t) => t.expiresAt === null || t.expiresAt.getTime() > store.clock);
      const items = (): TaskItem[] =>
        Array.from({ length: rnd.int(3) }, () => ({
          requestId: rnd.pick(REQUESTS),
          role: 'user',
          content: rnd.int(100),
          createdAt: new Date(BASE),
        }));
      const expiry = () => (rnd.next() < 0.3 ? new Date(store.clock + 1 + rnd.int(60)) : null);

      for (let step = 0; step < 1500; step++) {
        const live = alive();
        const op = rnd.int(10);
        if (op < 4 || live.length === 0) {
          const taskId = rnd.pick(IDS);
          const exists = live.some((t) => t.taskId === taskId);
          const input = {
            taskId,
            status: rnd.pick(STATUSES),
            sessionId: rnd.pick(SESSIONS),
            userId: rnd.pick(USERS),
            items: items(),
            createdAt: rnd.pick(CREATED),
            expiresAt: expiry(),
          };
          const outcome = await store.create(input).catch((e: unknown) => e);
          if (exists) expect((outcome as { code?: string }).code).toBe('TASK_EXISTS');
          else model.set(taskId, outcome as AgentTask);
        } else if (op < 6) {
          const target = rnd.pick(live);
          const updated = await store.update({
            ...target,
            status: rnd.pick(STATUSES),
            items: items(),
            expiresAt: expiry(),
          });
          model.set(target.taskId, updated);
        } else if (op < 8) {
          const target = rnd.pick(live);
          const patched = await store.patch(target.taskId, {
            status: rnd.pick(STATUSES),
            appendItems: items(),
            ...(rnd.next() < 0.3 ? { expiresAt: expiry() } : {}),
          });
          model.set(target.taskId, patched);
        } else if (op < 9) {
          const target = rnd.pick(live);
          await store.delete(target.taskId);
          model.delete(target.taskId);
        } else {
          store.clock += rnd.int(15);
        }

        if (step % 10 !== 0) continue;
        const now = alive().sort(compareTasks);
        const statuses = rnd.next() < 0.5 ? null : STATUSES.filter(() => rnd.next() < 0.4);
        const filter = {
          ...(statuses !== null && statuses.length > 0 ? { status: statuses } : {}),
          ...(rnd.next() < 0.3 ? { sessionId: rnd.pick(SESSIONS) } : {}),
          ...(rnd.next() < 0.2 ? { userId: rnd.pick(USERS) } : {}),
          ...(rnd.next() < 0.3 ? { createdAfter: rnd.pick(CREATED) } : {}),
          ...(rnd.next() < 0.3 ? { createdBefore: rnd.pick(CREATED) } : {}),
        };
        const expected = now.filter(
          (t) =>
            (filter.status === undefined || filter.status.includes(t.status)) &&
            (filter.sessionId === undefined || t.sessionId === filter.sessionId) &&
            (filter.userId === undefined || t.userId === filter.userId) &&
            (filter.createdAfter === undefined || t.createdAt > filter.createdAfter) &&
            (filter.createdBefore === undefined || t.createdAt < filter.createdBefore),
        );
        const order = rnd.next() < 0.5 ? 'asc' : 'desc';
        if (order === 'desc') expected.reverse();
        const limit = 1 + rnd.int(7);
        const walked: AgentTask[] = [];
        let cursor: string | null = null;
        do {
          const page: { tasks: AgentTask[]; nextCursor: string | null } = await store.list({
            ...filter,
            order,
            limit,
            ...(cursor === null ? {} : { cursor }),
          });
          walked.push(...page.tasks);
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(walked).toEqual(expected);
        const offset = rnd.int(5);
        expect((await store.list({ ...filter, order, offset, limit })).tasks).toEqual(
          expected.slice(offset, offset + limit),
        );
        expect(await store.count(filter)).toBe(expected.length);
        expect(await store.countActive()).toBe(now.filter((t) => ACTIVE.includes(t.status)).length);
        for (const requestId of REQUESTS) {
          const holder = now.find((t) => t.items.some((i) => i.requestId === requestId)) ?? null;
          expect(await store.loadByRequestId(requestId)).toEqual(holder);
        }
      }
    });
  }
});
