import type { TaskStore } from '@taskvault/core';
import { taskStoreError } from '@taskvault/core/adapter';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoAgent } from '../src/agent.js';
import { toHttpError } from '../src/http-errors.js';
import { buildServer } from '../src/server.js';
import { Worker } from '../src/worker.js';
import { eventually, expectCleanError, memoryStore } from './helpers.js';

/** A store whose every call fails the way `make` says: the server's error mapping is what is tested. */
function failingStore(inner: TaskStore, make: (operation: string) => Error): TaskStore {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      if (key === 'healthCheck') {
        return async () => ({
          ok: false,
          backend: target.backend,
          latencyMs: 1,
          detail: 'BACKEND_UNAVAILABLE: refused',
        });
      }
      if (key === 'close') return value.bind(target);
      return async () => {
        throw make(key);
      };
    },
  });
}

describe('HTTP API on the memory store', () => {
  let store: TaskStore;
  let app: FastifyInstance;
  let worker: Worker;

  beforeAll(async () => {
    store = await memoryStore();
    worker = new Worker({ store, workerId: 'http-test', pollMs: 10, stepDelayMs: 0 });
    app = buildServer({ agent: new DemoAgent(store), workers: [worker] });
    await app.ready();
  });
  afterAll(async () => {
    await worker.stop();
    await app.close();
    await store.close();
  });

  const submit = async (query: string) => {
    const res = await app.inject({ method: 'POST', url: '/tasks', payload: { query, userId: 'u1' } });
    expect(res.statusCode).toBe(202);
    return res.json() as { taskId: string; requestId: string; status: string; version: number };
  };
  const statusOf = async (taskId: string) => (await app.inject(`/tasks/${taskId}`)).json().status as string;

  it('POST /tasks answers 202 with the task id and request id, pending at version 1', async () => {
    const body = await submit('What is the capital of Japan?');
    expect(body).toMatchObject({ status: 'pending', version: 1 });
    expect(body.taskId).toMatch(/^task-/);
    expect(body.requestId).toMatch(/^req-/);
    const view = (await app.inject(`/tasks/${body.taskId}`)).json();
    expect(view).toMatchObject({
      taskId: body.taskId,
      requestId: body.requestId,
      userId: 'u1',
      status: 'pending',
    });
    expect(view.plan.map((s: { kind: string }) => s.kind)).toEqual(['lookup', 'answer']);
    expect(view.items.map((i: { content: { type: string } }) => i.content.type)).toEqual(['request', 'plan']);
  });

  it('a question typed as a person would, "population of France plus Germany", is answered in full', async () => {
    worker.start();
    const { taskId } = await submit('What is the population of France plus Germany');
    await eventually('the task completed', async () => (await statusOf(taskId)) === 'completed');
    const done = (await app.inject(`/tasks/${taskId}`)).json();
    expect(done.plan.map((s: { kind: string }) => s.kind)).toEqual([
      'lookup',
      'lookup',
      'calculate',
      'answer',
    ]);
    expect(done.answer).toBe(
      'The population of France is 68,170,000. The population of Germany is 84,480,000. ' +
        '68,170,000 + 84,480,000 = 152,650,000.',
    );
  });

  it.each([
    ['a missing query', { userId: 'u' }, 'query'],
    ['a query that is not a string', { query: 5 }, 'query'],
    ['an empty query', { query: '   ' }, 'query'],
    ['a query holding U+0000', { query: 'capital of\u0000Spain' }, 'query'],
    ['a query over 2000 characters', { query: 'x'.repeat(2001) }, 'query'],
    ['an empty sessionId', { query: 'hi', sessionId: '' }, 'sessionId'],
    ['a userId that is a number', { query: 'hi', userId: 7 }, 'userId'],
    ['an unknown field', { query: 'hi', priority: 1 }, 'priority'],
    ['an array body', [1, 2], 'body'],
  ])('POST /tasks with %s is 400 naming the field', async (_name, payload, field) => {
    const res = await app.inject({ method: 'POST', url: '/tasks', payload: payload as object });
    expect(res.statusCode).toBe(400);
    expectCleanError(res.json(), 'INVALID_INPUT', field);
  });

  it('POST /tasks with broken JSON, no body, or text/plain is refused without a stack', async () => {
    const broken = await app.inject({
      method: 'POST',
      url: '/tasks',
      headers: { 'content-type': 'application/json' },
      payload: '{"query": ',
    });
    expect(broken.statusCode).toBe(400);
    expectCleanError(broken.json(), 'INVALID_INPUT', 'body');
    const empty = await app.inject({ method: 'POST', url: '/tasks' });
    expect(empty.statusCode).toBe(400);
    expectCleanError(empty.json(), 'INVALID_INPUT', 'body');
    const text = await app.inject({
      method: 'POST',
      url: '/tasks',
      headers: { 'content-type': 'text/plain' },
      payload: 'query=hi',
    });
    expect(text.statusCode).toBe(415);
    expectCleanError(text.json(), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('GET /tasks/:id of an unknown task is 404 TASK_NOT_FOUND', async () => {
    const res = await app.inject('/tasks/task-nope');
    expect(res.statusCode).toBe(404);
    expectCleanError(res.json(), 'TASK_NOT_FOUND');
  });

  it('GET /tasks lists by status and pages with the cursor', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(`hello ${i}`)).taskId);
    const first = (await app.inject('/tasks?limit=2&order=asc')).json();
    expect(first.tasks).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const seen = new Set<string>(first.tasks.map((t: { taskId: string }) => t.taskId));
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const page = (await app.inject(`/tasks?limit=2&order=asc&cursor=${encodeURIComponent(cursor)}`)).json();
      for (const t of page.tasks) {
        expect(seen.has(t.taskId)).toBe(false);
        seen.add(t.taskId);
      }
      cursor = page.nextCursor;
    }
    for (const id of ids) expect(seen.has(id)).toBe(true);
    const byStatus = (await app.inject('/tasks?status=completed,failed,cancelled')).json();
    expect(
      byStatus.tasks.every((t: { status: string }) =>
        ['completed', 'failed', 'cancelled'].includes(t.status),
      ),
    ).toBe(true);
  });

  it.each([
    ['/tasks?status=done', 'status'],
    ['/tasks?limit=0', 'limit'],
    ['/tasks?limit=1001', 'limit'],
    ['/tasks?limit=ten', 'limit'],
    ['/tasks?order=up', 'order'],
    ['/tasks?cursor=not-a-cursor', 'cursor'],
    ['/tasks?sort=desc', 'sort'],
  ])('GET %s is 400 naming %s', async (url, field) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(400);
    expectCleanError(res.json(), 'INVALID_INPUT', field);
  });

  it('a tool call pauses; approve by request id resumes it to completion; a second approve is 409', async () => {
    worker.start();
    const { taskId, requestId } = await submit('Email the weather in Tokyo to carol@example.com');
    await eventually('the task is paused', async () => (await statusOf(taskId)) === 'paused');
    const paused = (await app.inject(`/tasks/${taskId}`)).json();
    expect(paused.approval).toMatchObject({ state: 'waiting', tool: 'send_email' });

    const approved = await app.inject({
      method: 'POST',
      url: `/requests/${requestId}/approve`,
      payload: { by: 'dave' },
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ taskId, approval: { state: 'approved', decidedBy: 'dave' } });
    await eventually('the task completed', async () => (await statusOf(taskId)) === 'completed');
    const done = (await app.inject(`/tasks/${taskId}`)).json();
    expect(done.answer).toMatch(/sent an email to carol@example.com/i);
    expect(done.plan.map((s: { commits: number }) => s.commits)).toEqual([1, 1, 1]);

    const again = await app.inject({ method: 'POST', url: `/requests/${requestId}/approve` });
    expect(again.statusCode).toBe(409);
    expectCleanError(again.json(), 'INVALID_STATE');
  });

  it('reject resumes the task, which answers without running the tool', async () => {
    const { taskId, requestId } = await submit('Order 2 phones');
    await eventually('the task is paused', async () => (await statusOf(taskId)) === 'paused');
    const rejected = await app.inject({ method: 'POST', url: `/requests/${requestId}/reject`, payload: {} });
    expect(rejected.statusCode).toBe(200);
    await eventually('the task completed', async () => (await statusOf(taskId)) === 'completed');
    expect((await app.inject(`/tasks/${taskId}`)).json().answer).toMatch(/rejected, so nothing was ordered/);
  });

  it('approve or reject of an unknown request is 404; a bad body names the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/requests/req-unknown/approve' });
    expect(res.statusCode).toBe(404);
    expectCleanError(res.json(), 'TASK_NOT_FOUND');
    const rej = await app.inject({
      method: 'POST',
      url: '/requests/req-unknown/reject',
      payload: { by: 42 },
    });
    expect(rej.statusCode).toBe(400);
    expectCleanError(rej.json(), 'INVALID_INPUT', 'by');
    const extra = await app.inject({
      method: 'POST',
      url: '/requests/req-unknown/reject',
      payload: { why: 'x' },
    });
    expect(extra.statusCode).toBe(400);
    expectCleanError(extra.json(), 'INVALID_INPUT', 'why');
  });

  it('cancel stops an active task (409 once it ended, 404 when unknown)', async () => {
    const { taskId } = await submit('Order 1 chair');
    await eventually('the task is paused', async () => (await statusOf(taskId)) === 'paused');
    const res = await app.inject({ method: 'POST', url: `/tasks/${taskId}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled' });
    const again = await app.inject({ method: 'POST', url: `/tasks/${taskId}/cancel` });
    expect(again.statusCode).toBe(409);
    expectCleanError(again.json(), 'INVALID_STATE');
    const unknown = await app.inject({ method: 'POST', url: '/tasks/task-unknown/cancel' });
    expect(unknown.statusCode).toBe(404);
    expectCleanError(unknown.json(), 'TASK_NOT_FOUND');
  });

  it('DELETE /tasks/:id is 204, then 404', async () => {
    const { taskId } = await submit('hello');
    const res = await app.inject({ method: 'DELETE', url: `/tasks/${taskId}` });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const again = await app.inject({ method: 'DELETE', url: `/tasks/${taskId}` });
    expect(again.statusCode).toBe(404);
    expectCleanError(again.json(), 'TASK_NOT_FOUND');
  });

  it('GET /healthz reports the store, active tasks and workers', async () => {
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ok: true,
      backend: 'memory',
      activeTasks: expect.any(Number),
      workers: [{ id: 'http-test', stats: { committed: expect.any(Number) } }],
    });
  });

  it('serves the page and its script; unknown routes are a JSON 404', async () => {
    const page = await app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<script src="/app.js">');
    const script = await app.inject('/app.js');
    expect(script.headers['content-type']).toMatch(/javascript/);
    const missing = await app.inject('/nope');
    expect(missing.statusCode).toBe(404);
    expectCleanError(missing.json(), 'NOT_FOUND');
  });
});

describe('HTTP error mapping', () => {
  it('maps an unavailable store to 503 on every route and on /healthz', async () => {
    const inner = await memoryStore();
    const store = failingStore(inner, (op) =>
      taskStoreError(op as 'load', 'BACKEND_UNAVAILABLE', {
        backend: 'memory',
        detail: 'connection refused',
      }),
    );
    const app = buildServer({ agent: new DemoAgent(store) });
    try {
      const health = await app.inject('/healthz');
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({
        ok: false,
        detail: expect.stringContaining('BACKEND_UNAVAILABLE'),
      });
      for (const [method, url, payload] of [
        ['POST', '/tasks', { query: 'hi' }],
        ['GET', '/tasks/t1', undefined],
        ['GET', '/tasks', undefined],
        ['POST', '/requests/r1/approve', undefined],
        ['POST', '/tasks/t1/cancel', undefined],
        ['DELETE', '/tasks/t1', undefined],
      ] as const) {
        const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
        expect(res.statusCode, `${method} ${url}`).toBe(503);
        expectCleanError(res.json(), 'BACKEND_UNAVAILABLE');
      }
    } finally {
      await app.close();
      await inner.close();
    }
  });

  it('maps an unexpected error to a 500 whose message gives nothing away', async () => {
    const inner = await memoryStore();
    const store = failingStore(inner, () => new Error('secret detail at /srv/app.ts:12'));
    const app = buildServer({ agent: new DemoAgent(store) });
    try {
      const res = await app.inject('/tasks/t1');
      expect(res.statusCode).toBe(500);
      expectCleanError(res.json(), 'INTERNAL_ERROR');
      expect(res.body).not.toContain('secret');
    } finally {
      await app.close();
      await inner.close();
    }
  });

  it.each([
    ['TASK_NOT_FOUND', 404],
    ['TASK_EXISTS', 409],
    ['VERSION_CONFLICT', 409],
    ['INVALID_INPUT', 400],
    ['BACKEND_UNAVAILABLE', 503],
    ['STORE_CLOSED', 503],
    ['BACKEND_ERROR', 500],
    ['CORRUPT_DATA', 500],
  ] as const)('store code %s is HTTP %i', (code, status) => {
    const mapped = toHttpError(
      taskStoreError('patch', code, { taskId: 't', path: 'patch.data.x', detail: 'bad' }),
    );
    expect(mapped.status).toBe(status);
    expect(mapped.body.error.code).toBe(code);
    if (code === 'INVALID_INPUT') expect(mapped.body.error.field).toBe('data.x');
  });
});
