/**
 * Two savers racing on one task, each through its own store (on Redis and PostgreSQL its own
 * client and connections), and on Redis and PostgreSQL two saver processes, while a reader
 * reads. Every save
 * lands exactly once (the task's version counts them), each saver's saves land in its order,
 * and every read sees one save whole: metadata, artifacts and history of the same save.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Task } from '@a2a-js/sdk';
import { type Backend, describeOnBackends } from '@taskvault/test-servers/backends';
import { beforeAll, expect, it } from 'vitest';
import { TaskvaultA2ATaskStore } from '../src/index.js';
import { raceSnapshot as snapshot } from './fixtures/race-task.mjs';
import { context } from './support/a2a.js';

const SAVES = 40;
const ctx = context('alice');
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

beforeAll(() => {
  // the saver processes import this package by name, which resolves to its build
  if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
    throw new Error('packages/a2a/dist is missing: run `pnpm turbo run build --filter=@taskvault/a2a`');
  }
});

/** Reads the race task until `done()`, checking every read is one save whole; returns what it saw. */
async function readUntil(reader: TaskvaultA2ATaskStore, done: () => boolean) {
  const seen: { writer: string; step: number }[] = [];
  while (!done()) {
    const current = await reader.load('race', ctx);
    if (current !== undefined) seen.push(whichSave(current));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return seen;
}

/** Checks what the reader saw of each writer only moved forward. */
function expectInOrder(seen: { writer: string; step: number }[]) {
  for (const writer of ['A', 'B']) {
    const steps = seen.filter((s) => s.writer === writer).map((s) => s.step);
    expect(steps).toStrictEqual([...steps].sort((a, b) => a - b));
  }
}

/** Runs a saver process of `writer` on `namespace`, saving from the instant `startAt`. */
function saverProcess(backend: Backend, namespace: string, writer: string, startAt: number) {
  return run(
    process.execPath,
    [
      'test/fixtures/saver.mjs',
      JSON.stringify(backend.config(namespace)),
      writer,
      String(SAVES),
      String(startAt),
    ],
    { cwd: packageDir, timeout: 60_000 },
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
    const save = async (store: TaskvaultA2ATaskStore, writer: string) => {
      for (let step = 1; step <= SAVES; step++) await store.save(snapshot(writer, step), ctx);
    };
    const reading = readUntil(reader, () => done);
    await Promise.all([save(first, 'A'), save(second, 'B')]);
    done = true;
    const seen = await reading;

    // every save was one write: create (version 1) and one version per save after it
    const stored = await raw.load('race');
    expect(stored?.version).toBe(2 * SAVES);
    // the last write is one saver's last save, whole
    const last = whichSave((await first.load('race', ctx)) as Task);
    expect(last.step).toBe(SAVES);
    // what the reader saw of each saver only moved forward
    expectInOrder(seen);
    expect(seen.length).toBeGreaterThan(0);
    // the stored history is the last save's, one item per message, message ids as request ids
    expect(stored?.items.map((item) => item.requestId)).toStrictEqual([
      'm0',
      ...Array.from({ length: SAVES }, (_, i) => `${last.writer}-m${i + 1}`),
    ]);
  });

  // a memory store lives in one process: the racing processes run on Redis and PostgreSQL
  if (backend.name !== 'memory') {
    it('two saver processes on one store: both land, each in its order, no read torn', async () => {
      const namespace = `race-processes-${crypto.randomUUID()}`;
      const raw = await backend.open(namespace);
      const reader = new TaskvaultA2ATaskStore(raw);
      let done = false;
      const reading = readUntil(reader, () => done);
      const startAt = Date.now() + 2000;
      await Promise.all([
        saverProcess(backend, namespace, 'A', startAt),
        saverProcess(backend, namespace, 'B', startAt),
      ]).finally(() => {
        done = true;
      });
      const seen = await reading;
      expect((await raw.load('race'))?.version).toBe(2 * SAVES);
      expect(whichSave((await reader.load('race', ctx)) as Task).step).toBe(SAVES);
      expectInOrder(seen);
    });
  }

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
