/**
 * TaskvaultA2APushNotificationStore against the SDK's InMemoryPushNotificationStore: the same
 * calls (save with and without an id, replace, load, loadWithMetadata, delete with and without a
 * config id, owners and tenants) give the same results; plus what only a shared store shows.
 */
import type { TaskPushNotificationConfig } from '@a2a-js/sdk';
import {
  InMemoryPushNotificationStore,
  type PushNotificationStore,
  type ServerCallContext,
} from '@a2a-js/sdk/server';
import { isTaskStoreError } from '@taskvault/core';
import { describeOnBackends } from '@taskvault/test-servers/backends';
import { expect, it } from 'vitest';
import { PUSH_TASK_PREFIX, TaskvaultA2APushNotificationStore } from '../src/index.js';
import { context } from './support/a2a.js';

function config(
  id: string,
  url: string,
  extra: Partial<TaskPushNotificationConfig> = {},
): TaskPushNotificationConfig {
  return { tenant: '', id, taskId: 't1', url, token: `token-${id}`, authentication: undefined, ...extra };
}

const alice = context('alice', undefined, '1.0');
const bob = context('bob');
const aliceAcme = context('alice', 'acme', '1.0');

type Step = (store: PushNotificationStore) => Promise<unknown>;

function script(): [string, Step][] {
  const steps: [string, Step][] = [
    ['save c1', (s) => s.save('t1', alice, config('c1', 'https://a.example/1'))],
    [
      'save c2',
      (s) =>
        s.save(
          't1',
          alice,
          config('c2', 'https://a.example/2', {
            authentication: { scheme: 'Bearer', credentials: 'secret' },
          }),
        ),
    ],
    ['save c3 legacy', (s) => s.save('t1', context('alice'), config('c3', 'https://a.example/3'))],
    ['replace c1', (s) => s.save('t1', alice, config('c1', 'https://a.example/1-new'))],
    ['save t1 config named t1', (s) => s.save('t1', alice, config('t1', 'https://a.example/t1'))],
    ['bob saves on his t2', (s) => s.save('t2', bob, config('b1', 'https://b.example/1'))],
    ['alice saves in acme', (s) => s.save('t1', aliceAcme, config('c1', 'https://acme.example/1'))],
  ];
  const reads: [string, Step][] = [];
  for (const [name, ctx] of [
    ['alice', alice],
    ['bob', bob],
    ['alice@acme', aliceAcme],
  ] as [string, ServerCallContext][]) {
    for (const taskId of ['t1', 't2', 'none']) {
      reads.push([`load ${taskId} as ${name}`, (s) => s.load(taskId, ctx)]);
      reads.push([
        `loadWithMetadata ${taskId} as ${name}`,
        (s) => s.loadWithMetadata?.(taskId, ctx) ?? Promise.resolve(null),
      ]);
    }
  }
  return [
    ...steps,
    ...reads,
    ['delete c2', (s) => s.delete('t1', alice, 'c2')],
    ['delete missing', (s) => s.delete('t1', alice, 'nope')],
    ['bob deletes alice c1', (s) => s.delete('t1', bob, 'c1')],
    ['delete without config id', (s) => s.delete('t1', alice)],
    ...reads,
    ['delete c1', (s) => s.delete('t1', alice, 'c1')],
    ['delete c3', (s) => s.delete('t1', alice, 'c3')],
    ['delete unknown task', (s) => s.delete('none', alice, 'c1')],
    ...reads,
    ['save again after emptied', (s) => s.save('t1', alice, config('c9', 'https://a.example/9'))],
    ...reads,
  ];
}

async function runScript(store: PushNotificationStore): Promise<[string, unknown][]> {
  const results: [string, unknown][] = [];
  for (const [name, step] of script()) results.push([name, await step(store)]);
  return results;
}

describeOnBackends('TaskvaultA2APushNotificationStore', (backend) => {
  it('answers like InMemoryPushNotificationStore, call for call', async () => {
    const namespace = `push-${crypto.randomUUID()}`;
    const reference = await runScript(new InMemoryPushNotificationStore());
    const ours = new TaskvaultA2APushNotificationStore(await backend.open(namespace), {
      tenantStore: (tenant) => backend.open(`${namespace}-${tenant}`),
    });
    const results = await runScript(ours);
    await ours.close();
    // the script reads something: alice's configs in order, the wire versions, bob's apart
    expect(reference.find(([name]) => name === 'loadWithMetadata t1 as alice')?.[1]).toStrictEqual([
      {
        config: config('c2', 'https://a.example/2', {
          authentication: { scheme: 'Bearer', credentials: 'secret' },
        }),
        wireVersion: '1.0',
      },
      { config: config('c3', 'https://a.example/3'), wireVersion: '0.3' },
      { config: config('c1', 'https://a.example/1-new'), wireVersion: '1.0' },
      { config: config('t1', 'https://a.example/t1'), wireVersion: '1.0' },
    ]);
    for (let i = 0; i < reference.length; i++) {
      expect(results[i], (reference[i] as [string, unknown])[0]).toStrictEqual(reference[i]);
    }
  });

  it('save assigns an id in place to a config without one', async () => {
    const store = new TaskvaultA2APushNotificationStore(await backend.open());
    const given = config('', 'https://a.example/new');
    await store.save('t1', alice, given);
    expect(given.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await store.load('t1', alice)).toStrictEqual([given]);
  });

  it('keeps the configs of a task in one taskvault task of the owner, shared by every store on it', async () => {
    const namespace = `push-shared-${crypto.randomUUID()}`;
    const raw = await backend.open(namespace);
    await new TaskvaultA2APushNotificationStore(raw).save('t1', alice, config('c1', 'https://a.example/1'));
    const record = await raw.load(`${PUSH_TASK_PREFIX}t1`);
    expect(record?.userId).toBe('alice');
    const other = new TaskvaultA2APushNotificationStore(await backend.open(namespace));
    expect(await other.load('t1', alice)).toStrictEqual([config('c1', 'https://a.example/1')]);
    expect(await other.load('t1', bob)).toStrictEqual([]);
  });

  it('concurrent saves from two stores never lose a config', async () => {
    const namespace = `push-race-${crypto.randomUUID()}`;
    const first = new TaskvaultA2APushNotificationStore(await backend.open(namespace));
    const second = new TaskvaultA2APushNotificationStore(await backend.open(namespace));
    const saves = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? first : second).save('t1', alice, config(`c${i}`, `https://a.example/${i}`)),
    );
    await Promise.all(saves);
    const ids = (await first.load('t1', alice)).map((c) => c.id).sort();
    expect(ids).toStrictEqual(Array.from({ length: 20 }, (_, i) => `c${i}`).sort());
  });

  it("refuses another owner's task id, and a task id taskvault cannot hold", async () => {
    const store = new TaskvaultA2APushNotificationStore(await backend.open());
    await store.save('t1', alice, config('c1', 'https://a.example/1'));
    const taken = await store.save('t1', bob, config('c2', 'https://b.example/2')).catch((e: unknown) => e);
    expect(isTaskStoreError(taken, 'INVALID_INPUT') && taken.path).toBe('taskId');
    expect(await store.load('t1', alice)).toStrictEqual([config('c1', 'https://a.example/1')]);
    const bad = await store.save('', alice, config('c1', 'https://a.example/1')).catch((e: unknown) => e);
    expect(isTaskStoreError(bad, 'INVALID_INPUT') && bad.path).toBe('taskId');
    expect(await store.load('', alice)).toStrictEqual([]);
  });
});
