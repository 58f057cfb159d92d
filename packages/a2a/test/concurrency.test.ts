/**
 * Two savers racing on one task, each through its own store (on Redis and PostgreSQL its own
 * client and connections, as two server processes would have), while a third reads. Every save
 * lands exactly once (the task's version counts them), each saver's saves land in its order,
 * and every read sees one save whole: metadata, artifacts and history of the same save.
 */
import type { Task } from '@a2a-js/sdk';
import { expect, it } from 'vitest';
import { TaskvaultA2ATaskStore } from '../src/index.js';
import { artifact, context, message, Role, TaskState, task } from './support/a2a.js';
import { describeOnBackends } from './support/backends.js';

const SAVES = 40;
const ctx = context('alice');

/** Save `step` of `writer`: everything in it names the writer and the step. */
function snapshot(writer: string, step: number): Task {
  const history = [message('m0', 'start')];
  for (let i = 1; i <= step; i++) history.push(message(`${writer}-m${i}`, `${writer} ${i}`, Role.ROLE_AGENT));
  return task(
    'race',
    'c1',
    TaskState.TASK_STATE_WORKING,
    new Date(Date.UTC(2026, 0, 1, 0, 0, step)).toISOString(),
    {
      metadata: { writer, step },
      artifacts: [artifact(`${writer}-${step}`, `${writer} at ${step}`)],
      history,
    },
  );
}

/** The save a read task is, checking every part of it belongs to that one save. */
function whichSave(read: Task): { writer: string; step: number } {
  const { writer, step } = read.metadata as { writer: string; step: number };
  expect(read).toStrictEqual(snapshot(writer, step));
  return { writer, step };
}

describeOnBackends('two racing savers', (backend) => {
  it('both land, each in its order, and no read sees a torn task', async () => {
    const namespace = `race-${crypto.randomUUID()}`;
    const raw = await backend.open(namespace);
    const first = new TaskvaultA2ATaskStore(raw);
    const second = new TaskvaultA2ATaskStore(await backend.open(namespace));
    const reader = new TaskvaultA2ATaskStore(await backend.open(namespace));

    let done = false;
    const seen: { writer: string; step: number }[] = [];
    const read = async () => {
      while (!done) {
        const current = await reader.load('race', ctx);
        if (current !== undefined) seen.push(whichSave(current));
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const save = async (store: TaskvaultA2ATaskStore, writer: string) => {
      for (let step = 1; step <= SAVES; step++) await store.save(snapshot(writer, step), ctx);
    };
    const reading = read();
    await Promise.all([save(first, 'A'), save(second, 'B')]);
    done = true;
    await reading;

    // every save was one write: create (version 1) and one version per save after it
    const stored = await raw.load('race');
    expect(stored?.version).toBe(2 * SAVES);
    // the last write is one saver's last save, whole
    const last = whichSave((await first.load('race', ctx)) as Task);
    expect(last.step).toBe(SAVES);
    // what the reader saw of each saver only moved forward
    for (const writer of ['A', 'B']) {
      const steps = seen.filter((s) => s.writer === writer).map((s) => s.step);
      expect(steps).toStrictEqual([...steps].sort((a, b) => a - b));
    }
    expect(seen.length).toBeGreaterThan(0);
    // the stored history is the last save's, one item per message, message ids as request ids
    expect(stored?.items.map((item) => item.requestId)).toStrictEqual([
      'm0',
      ...Array.from({ length: SAVES }, (_, i) => `${last.writer}-m${i + 1}`),
    ]);
  });

  it('a growing history is appended: items written earlier keep their createdAt', async () => {
    const namespace = `grow-${crypto.randomUUID()}`;
    const raw = await backend.open(namespace);
    const store = new TaskvaultA2ATaskStore(raw);
    await store.save(snapshot('A', 1), ctx);
    const before = await raw.load('race');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.save(snapshot('A', 2), ctx);
    const after = await raw.load('race');
    expect(after?.items.slice(0, 2)).toStrictEqual(before?.items);
    expect(after?.items).toHaveLength(3);
    expect(after?.version).toBe(2);
  });
});
