/**
 * Many writers on one session, from several clients of the same store (separate connections on
 * Redis and PostgreSQL): pops never share an item, appends never lose one.
 */
import type { AgentInputItem } from '@openai/agents-core';
import { type Backend, describeOnBackends } from '@taskvault/test-servers/backends';
import { expect, it } from 'vitest';
import { TaskvaultSession } from '../src/index.js';
import { userText } from './support/items.js';

const CLIENTS = 4;

/** One session per client, all on the same namespace and session id. */
async function sessionsOf(backend: Backend, sessionId: string): Promise<TaskvaultSession[]> {
  const namespace = `concurrency-${sessionId}`;
  return Promise.all(
    Array.from(
      { length: CLIENTS },
      async () => new TaskvaultSession(await backend.open(namespace), { sessionId }),
    ),
  );
}

function texts(items: readonly (AgentInputItem | undefined)[]): string[] {
  return items.filter((item) => item !== undefined).map((item) => (item as { content: string }).content);
}

describeOnBackends('concurrent writers', (backend) => {
  it('48 concurrent popItems on 40 items return each item exactly once and 8 undefined', async () => {
    const sessions = await sessionsOf(backend, 'pops');
    const added = Array.from({ length: 40 }, (_, i) => userText(`item ${i}`));
    await sessions[0]!.addItems(added);
    const popped = await Promise.all(Array.from({ length: 48 }, (_, i) => sessions[i % CLIENTS]!.popItem()));
    expect(popped.filter((item) => item === undefined)).toHaveLength(8);
    expect(texts(popped).sort()).toStrictEqual(texts(added).sort());
    expect(await sessions[1]!.getItems()).toStrictEqual([]);
  });

  it('40 concurrent addItems on a new session lose nothing and keep each batch whole and in order', async () => {
    const sessions = await sessionsOf(backend, 'adds');
    const batches = Array.from({ length: 40 }, (_, b) =>
      [0, 1, 2].map((i) => userText(`batch ${b} item ${i}`)),
    );
    await Promise.all(batches.map((batch, b) => sessions[b % CLIENTS]!.addItems(batch)));
    const stored = texts(await sessions[0]!.getItems());
    expect(stored).toHaveLength(120);
    expect([...stored].sort()).toStrictEqual(texts(batches.flat()).sort());
    for (const batch of batches) {
      const start = stored.indexOf(texts(batch)[0]!);
      expect(stored.slice(start, start + 3)).toStrictEqual(texts(batch));
    }
  });

  it('appends racing pops: what is left plus what was popped is exactly what was added', async () => {
    const sessions = await sessionsOf(backend, 'mixed');
    const added = Array.from({ length: 30 }, (_, i) => userText(`m${i}`));
    await sessions[0]!.addItems(added.slice(0, 10));
    const work: Promise<unknown>[] = [];
    for (let i = 10; i < 30; i++) {
      work.push(sessions[i % CLIENTS]!.addItems([added[i]!]));
      work.push(sessions[(i + 1) % CLIENTS]!.popItem());
    }
    const popped = (await Promise.all(work)).filter((x): x is AgentInputItem => x !== undefined);
    const left = await sessions[2]!.getItems();
    expect([...texts(left), ...texts(popped)].sort()).toStrictEqual(texts(added).sort());
  });
});
