/**
 * Tasks of 20,000+ items with distinct request ids, under default settings (statement timeout
 * included): every write on them, and the batched deletes of a namespace holding them, resolve.
 * A write's cost grows with the task and the change, never with their product.
 */
import type { TaskItem } from '@taskvault/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTaskStore } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { namingFor } from '../src/naming.js';
import { CONSISTENT, findInconsistencies } from './consistency.js';
import { storeOn, useServer } from './helpers.js';

const server = useServer();
const N = 20_000;

function items(n: number, prefix: string): TaskItem[] {
  const createdAt = new Date(1_700_000_000_000);
  return Array.from({ length: n }, (_, i) => ({
    requestId: `${prefix}-${i}`,
    role: 'tool',
    content: i,
    createdAt,
  }));
}

/** Runs `work` and returns how long it took, in ms. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return Math.round(performance.now() - started);
}

describe(`tasks of ${N} items with distinct request ids`, () => {
  let url: string;
  let store: PostgresTaskStore;

  beforeAll(async () => {
    url = await server().createDatabase();
    store = storeOn(url);
  });
  afterAll(async () => {
    await store.close();
  });

  it(`create, patch +${N} new request ids, update and delete each resolve within the default statement timeout`, async () => {
    const figures: Record<string, number> = {};
    figures.create = await timed(() => store.create({ taskId: 'big', items: items(N, 'a') }));
    figures.patch = await timed(() => store.patch('big', { appendItems: items(N, 'b') }));
    const patched = await store.load('big');
    expect(patched?.items).toHaveLength(2 * N);
    expect((await store.loadByRequestId(`b-${N - 1}`))?.taskId).toBe('big');

    // keep the second half of the a-ids and every b-id, and bring N new c-ids
    const kept = (patched?.items ?? []).slice(N / 2);
    figures.update = await timed(() =>
      store.update({ ...(patched as NonNullable<typeof patched>), items: [...kept, ...items(N, 'c')] }),
    );
    expect(await store.loadByRequestId('a-0')).toBeNull();
    expect((await store.loadByRequestId(`a-${N - 1}`))?.taskId).toBe('big');
    expect((await store.loadByRequestId('c-0'))?.taskId).toBe('big');
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);

    figures.delete = await timed(() => store.delete('big'));
    expect(await store.loadByRequestId('b-0')).toBeNull();
    expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    console.info(`${N}-id task, ms: ${JSON.stringify(figures)}`);
  });

  it('a one-item patch with a new request id on a 20,000-item task costs its linear rewrite, not a scan per id', async () => {
    await store.create({ taskId: 'small', items: items(10, 's') });
    await store.create({ taskId: 'large', items: items(N, 'l') });
    const onePatch = async (taskId: string) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        runs.push(await timed(() => store.patch(taskId, { appendItems: items(1, `${taskId}-more-${i}`) })));
      }
      return runs.sort((x, y) => x - y)[2];
    };
    const small = await onePatch('small');
    const large = await onePatch('large');
    console.info(`one-item patch with a new request id: 10 items ${small} ms, ${N} items ${large} ms`);
    // the jsonb rewrite of 20,000 items is linear in the task; a per-id scan of the task would be far slower
    expect(large).toBeLessThan(1000);
    await store.clear();
  });

  it('cleanup, clear and the sweeper resolve on a namespace holding such tasks', async () => {
    const ns = (namespace: string, sweepIntervalMs = 0) => storeOn(url, { namespace, sweepIntervalMs });
    const cleaning = ns('cleanup');
    const clearing = ns('clear');
    const sweeping = ns('sweep', 100);
    try {
      for (let i = 0; i < 3; i++) {
        await cleaning.create({ taskId: `done-${i}`, status: 'completed', items: items(N, `done-${i}`) });
        await clearing.create({ taskId: `any-${i}`, items: items(N, `any-${i}`) });
        await sweeping.create({ taskId: `expiring-${i}`, ttlMs: 1000, items: items(N, `exp-${i}`) });
      }
      await cleaning.create({ taskId: 'running', status: 'running' });

      expect(await cleaning.cleanup({ olderThan: 0 })).toBe(3);
      expect(await cleaning.count()).toBe(1);
      expect(await clearing.clear()).toBe(3);
      expect(await clearing.count()).toBe(0);
      await expect.poll(() => sweeping.loadByRequestId('exp-0-0'), { timeout: 10_000 }).toBeNull();
      await expect
        .poll(
          async () =>
            Number(
              (
                await server().psql(
                  "select count(*) from taskvault_tasks where namespace = 'sweep'",
                  new URL(url).pathname.slice(1),
                )
              ).trim(),
            ),
          { timeout: 10_000 },
        )
        .toBe(0);
      expect(await findInconsistencies(url)).toEqual(CONSISTENT);
    } finally {
      await Promise.all([cleaning.close(), clearing.close(), sweeping.close()]);
    }
  });

  it('a database made by 0001 alone upgrades: migrate() applies the rest, and the big delete then resolves', async () => {
    const upgraded = await server().createDatabase();
    const client = new pg.Client({ connectionString: upgraded });
    await client.connect();
    try {
      for (const statement of (MIGRATIONS[0]?.statements ?? (() => []))(namingFor('public', 'taskvault_')))
        await client.query(statement);
      await client.query(`create table taskvault_migrations (name varchar(255) primary key, timestamp varchar(255) not null);
        insert into taskvault_migrations values ('0001-init', '2026-01-01T00:00:00.000Z')`);
      const old = storeOn(upgraded);
      try {
        expect((await old.migrate()).applied).toEqual(MIGRATIONS.slice(1).map((m) => m.name));
        await old.create({ taskId: 'big', items: items(N, 'u') });
        await old.delete('big');
        expect(await old.loadByRequestId('u-0')).toBeNull();
      } finally {
        await old.close();
      }
    } finally {
      await client.end();
    }
  });
});
