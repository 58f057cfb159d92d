/**
 * The same script of calls — saves, re-saves (history grown, rewritten, cut), loads and lists
 * with every filter, paging walks, owners and tenants — against the SDK's InMemoryTaskStore and
 * against TaskvaultA2ATaskStore on each backend. Every result, errors included, must be equal,
 * order included (`toStrictEqual`: `undefined` members, byte arrays and all).
 */
import type { ListTasksRequest, Task } from '@a2a-js/sdk';
import {
  type TaskStore as A2ATaskStore,
  InMemoryTaskStore,
  type ServerCallContext,
} from '@a2a-js/sdk/server';
import { describeOnBackends } from '@taskvault/test-servers/backends';
import { expect, it } from 'vitest';
import { TaskvaultA2ATaskStore } from '../src/index.js';
import {
  artifact,
  context,
  fileMessage,
  listRequest,
  message,
  Role,
  TaskState,
  task,
} from './support/a2a.js';

type Step = (store: A2ATaskStore) => Promise<unknown>;

const alice = context('alice');
const bob = context('bob');
const anonymous = context();
const aliceAcme = context('alice', 'acme');
const bobAcme = context('bob', 'acme');
const CONTEXTS: [string, ServerCallContext][] = [
  ['alice', alice],
  ['bob', bob],
  ['anonymous', anonymous],
  ['alice@acme', aliceAcme],
  ['bob@acme', bobAcme],
];

const T = (minute: number, second = 0) =>
  `2026-01-01T10:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}.000Z`;

/** The first saves: tasks of several owners, tenants, contexts, states and timestamps. */
function firstSaves(): [ServerCallContext, Task][] {
  return [
    [alice, task('t01', 'c1', TaskState.TASK_STATE_SUBMITTED, T(1), { history: [message('m01', 'hello')] })],
    [
      alice,
      task('t02', 'c1', TaskState.TASK_STATE_WORKING, T(2), {
        history: [message('m02', 'one'), message('m03', 'two', Role.ROLE_AGENT), message('m04', 'three')],
      }),
    ],
    [
      alice,
      task('t03', 'c2', TaskState.TASK_STATE_WORKING, T(3), { metadata: { priority: 1, tags: ['x'] } }),
    ],
    [
      alice,
      task('t04', 'c2', TaskState.TASK_STATE_COMPLETED, T(4), {
        artifacts: [artifact('a1', 'result one'), artifact('a2', 'result two')],
      }),
    ],
    // equal timestamps: the id breaks the tie
    [alice, task('t05', 'c1', TaskState.TASK_STATE_FAILED, T(5))],
    [alice, task('t06', 'c3', TaskState.TASK_STATE_CANCELED, T(5))],
    [alice, task('t07', 'c3', TaskState.TASK_STATE_INPUT_REQUIRED, T(6), { history: [fileMessage('m07')] })],
    // no status at all, and a status without a timestamp
    [alice, task('t08', 'c1', undefined, undefined)],
    [alice, task('t09', 'c2', TaskState.TASK_STATE_REJECTED, undefined)],
    // another timestamp spelling: sorted as a string, filtered as a time
    [alice, task('t10', 'c1', TaskState.TASK_STATE_AUTH_REQUIRED, '2026-01-01T10:07:00Z')],
    [
      alice,
      task('t11', 'c1', TaskState.TASK_STATE_WORKING, T(0, 30), {
        history: [message('m11', 'first'), message('m11', 'same id again')],
      }),
    ],
    [alice, task('t12', 'c|pipe', TaskState.TASK_STATE_WORKING, T(8), { metadata: { note: undefined } })],
    [bob, task('b01', 'c1', TaskState.TASK_STATE_WORKING, T(2))],
    [
      bob,
      task('b02', 'c1', TaskState.TASK_STATE_COMPLETED, T(9), { artifacts: [artifact('b', 'bob result')] }),
    ],
    [bob, task('b03', 'c9', TaskState.TASK_STATE_SUBMITTED, T(1))],
    [anonymous, task('u01', 'c1', TaskState.TASK_STATE_WORKING, T(3))],
    [anonymous, task('u02', 'c2', TaskState.TASK_STATE_SUBMITTED, T(4))],
    // another tenant: the same ids as the default tenant's are other tasks
    [
      aliceAcme,
      task('t01', 'c1', TaskState.TASK_STATE_COMPLETED, T(7), { history: [message('am1', 'acme')] }),
    ],
    [aliceAcme, task('x02', 'c1', TaskState.TASK_STATE_WORKING, T(6))],
    [bobAcme, task('x03', 'c1', TaskState.TASK_STATE_WORKING, T(6))],
  ];
}

/** Later saves of the same tasks: history grows, is rewritten and cut; state and artifacts change. */
function reSaves(): [ServerCallContext, Task][] {
  return [
    [
      alice,
      task('t01', 'c1', TaskState.TASK_STATE_WORKING, T(10), {
        history: [message('m01', 'hello'), message('m01b', 'working on it', Role.ROLE_AGENT)],
      }),
    ],
    [
      alice,
      task('t01', 'c1', TaskState.TASK_STATE_COMPLETED, T(11), {
        status: {
          state: TaskState.TASK_STATE_COMPLETED,
          timestamp: T(11),
          message: message('m01c', 'done', Role.ROLE_AGENT),
        },
        history: [
          message('m01', 'hello'),
          message('m01b', 'working on it', Role.ROLE_AGENT),
          message('m01c', 'done', Role.ROLE_AGENT),
        ],
        artifacts: [artifact('r', 'the answer')],
      }),
    ],
    // history rewritten in the middle, then cut
    [
      alice,
      task('t02', 'c1', TaskState.TASK_STATE_WORKING, T(12), {
        history: [
          message('m02', 'one'),
          message('m03', 'two, edited', Role.ROLE_AGENT),
          message('m04', 'three'),
        ],
      }),
    ],
    [alice, task('t02', 'c1', TaskState.TASK_STATE_WORKING, T(12), { history: [message('m02', 'one')] })],
    // moved to another context; metadata removed
    [alice, task('t03', 'c1', TaskState.TASK_STATE_COMPLETED, T(13))],
    [alice, task('t04', 'c2', TaskState.TASK_STATE_COMPLETED, T(4), { artifacts: [] })],
    [bob, task('b01', 'c1', TaskState.TASK_STATE_WORKING, T(14), { history: [message('bm1', 'bob here')] })],
    [
      aliceAcme,
      task('t01', 'c1', TaskState.TASK_STATE_COMPLETED, T(7), {
        history: [message('am1', 'acme'), message('am2', 'more', Role.ROLE_AGENT)],
      }),
    ],
  ];
}

const IDS = [
  't01',
  't02',
  't03',
  't04',
  't05',
  't06',
  't07',
  't08',
  't09',
  't10',
  't11',
  't12',
  'b01',
  'b02',
  'b03',
  'u01',
  'u02',
  'x02',
  'x03',
  'missing',
];

/** Every list query of the script, for one caller. */
function listQueries(): Partial<ListTasksRequest>[] {
  return [
    {},
    { contextId: 'c1' },
    { contextId: 'c|pipe' },
    { contextId: 'nope' },
    { status: TaskState.TASK_STATE_WORKING },
    { status: TaskState.TASK_STATE_COMPLETED },
    { status: TaskState.TASK_STATE_FAILED },
    { status: TaskState.TASK_STATE_UNSPECIFIED },
    { contextId: 'c1', status: TaskState.TASK_STATE_WORKING },
    { statusTimestampAfter: '2026-01-01T10:04:00Z' },
    { statusTimestampAfter: '2026-01-01T10:07:00.000Z' },
    { statusTimestampAfter: '2030-01-01T00:00:00Z' },
    { includeArtifacts: true },
    { includeArtifacts: true, contextId: 'c2' },
    { historyLength: 1 },
    { historyLength: 0, includeArtifacts: true },
    { pageSize: 1 },
    { pageSize: 100 },
    { pageSize: 200 },
    { pageToken: 'not a token' },
    { pageToken: Buffer.from(`${T(59)}|nothing-here`).toString('base64') },
  ];
}

/** Walks every page of `params` with `pageSize`, returning each page. */
async function walk(
  store: A2ATaskStore,
  ctx: ServerCallContext,
  params: Partial<ListTasksRequest>,
  pageSize: number,
) {
  const pages = [];
  let pageToken = '';
  do {
    const page = await store.list(listRequest({ ...params, pageSize, pageToken }), ctx);
    pages.push(page);
    pageToken = page.nextPageToken;
  } while (pageToken !== '' && pages.length < 50);
  return pages;
}

function readSteps(): [string, Step][] {
  const steps: [string, Step][] = [];
  for (const [name, ctx] of CONTEXTS) {
    for (const id of IDS) steps.push([`load ${id} as ${name}`, (store) => store.load(id, ctx)]);
    for (const query of listQueries()) {
      steps.push([
        `list ${JSON.stringify(query)} as ${name}`,
        (store) => store.list(listRequest(query), ctx),
      ]);
    }
    for (const size of [1, 3, 7]) {
      steps.push([`walk pages of ${size} as ${name}`, (store) => walk(store, ctx, {}, size)]);
      steps.push([
        `walk c1 pages of ${size} with artifacts as ${name}`,
        (store) => walk(store, ctx, { contextId: 'c1', includeArtifacts: true }, size),
      ]);
    }
  }
  return steps;
}

function script(): [string, Step][] {
  const save = ([ctx, t]: [ServerCallContext, Task]): [string, Step] => [
    `save ${t.id}`,
    (store) => store.save(t, ctx),
  ];
  return [...firstSaves().map(save), ...readSteps(), ...reSaves().map(save), ...readSteps()];
}

/** Runs the script; each result is the value returned or the error thrown (class and message). */
async function runScript(store: A2ATaskStore): Promise<[string, unknown][]> {
  const results: [string, unknown][] = [];
  for (const [name, step] of script()) {
    try {
      results.push([name, { value: await step(store) }]);
    } catch (error) {
      results.push([name, { error: `${(error as Error).name}: ${(error as Error).message}` }]);
    }
  }
  return results;
}

describeOnBackends('TaskvaultA2ATaskStore against InMemoryTaskStore', (backend) => {
  it('the same script of calls gives the same results, order included', async () => {
    const namespace = `compare-${crypto.randomUUID()}`;
    const reference = await runScript(new InMemoryTaskStore());
    const ours = new TaskvaultA2ATaskStore(await backend.open(namespace), {
      tenantStore: (tenant) => backend.open(`${namespace}-${tenant}`),
    });
    const results = await runScript(ours);
    await ours.close();

    // the script exercises what it claims to: full pages, multi-page walks, the token error
    const byName = new Map(reference);
    expect((byName.get('list {} as alice') as { value: { totalSize: number } }).value.totalSize).toBe(12);
    expect((byName.get('walk pages of 3 as alice') as { value: unknown[] }).value).toHaveLength(4);
    expect(byName.get('list {"pageToken":"not a token"} as alice')).toEqual({
      error: 'RequestMalformedError: Invalid page token format.',
    });
    expect(results.length).toBe(reference.length);
    for (let i = 0; i < reference.length; i++) {
      expect(results[i], (reference[i] as [string, unknown])[0]).toStrictEqual(reference[i]);
    }
  });
});
