/**
 * Every id the store accepts works on every route that takes one, and every error — the ones
 * Fastify and Node raise before a route runs included — has the documented shape.
 */
import http from 'node:http';
import net from 'node:net';
import { type AgentTask, MAX_ID_BYTES, type TaskStore } from '@taskvault/core';
import { utf8Length } from '@taskvault/core/adapter';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoAgent } from '../src/agent.js';
import type { DemoTaskData } from '../src/model.js';
import { buildServer } from '../src/server.js';
import { expectCleanError, memoryStore } from './helpers.js';

/** Ids a person or another program could well choose, each valid for the store. */
const AWKWARD_IDS: Array<[string, string]> = [
  ['512 ASCII bytes', 'a'.repeat(MAX_ID_BYTES)],
  ['512 bytes of emoji', '😀'.repeat(MAX_ID_BYTES / 4)],
  ['512 percent signs', '%'.repeat(MAX_ID_BYTES)],
  ['512 slashes', '/'.repeat(MAX_ID_BYTES)],
  ['every awkward ASCII character', ` :*{}[]"'\`/\\%?#&=+;,@!$()<>|^~ `],
  ['a percent-encoding look-alike', 'task%2Fone%zz%'],
  ['spaces around the id', '  spaced id  '],
  ['a lone dot', '.'],
  ['two dots', '..'],
  ['a route word', 'approve'],
  ['non-Latin text and emoji', 'задача-任务-🙂-مهمة'],
  ['multi-byte text at 512 bytes', `${'é'.repeat(255)}ab`],
];

const enc = encodeURIComponent;

/** A server on a fresh memory store for the enclosing describe block. */
function serverPerSuite(): { app: FastifyInstance; store: TaskStore; agent: DemoAgent } {
  const ctx = {} as { app: FastifyInstance; store: TaskStore; agent: DemoAgent };
  beforeAll(async () => {
    ctx.store = await memoryStore();
    ctx.agent = new DemoAgent(ctx.store);
    ctx.app = buildServer({ agent: ctx.agent });
    await ctx.app.ready();
  });
  afterAll(async () => {
    await ctx.app.close();
    await ctx.store.close();
  });
  return ctx;
}

interface Answer {
  statusCode: number;
  body: string;
  json(): { error: { message: string } } & Record<string, unknown>;
}

/**
 * One request over a real socket with Node's http client, which sends the path as given: `fetch`,
 * browsers and light-my-request resolve `.` and `..` segments (the WHATWG URL rules), so those
 * two ids only travel with a client that does not (see the README).
 */
function send(port: number, method: string, path: string, payload?: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = payload === undefined ? undefined : JSON.stringify(payload);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: data === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('ids over HTTP', () => {
  const server = serverPerSuite();
  let template: AgentTask;
  let port: number;

  beforeAll(async () => {
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    port = (server.app.server.address() as net.AddressInfo).port;
    template = await server.agent.submit({ query: 'Email the weather in Paris to alice@example.com' });
  });

  /** A demo task paused for approval whose task id and request id are `id`. */
  async function pausedTask(id: string): Promise<void> {
    const data = template.data as unknown as DemoTaskData;
    await server.store.create({
      taskId: id,
      status: 'paused',
      data: {
        ...data,
        requestId: id,
        nextStep: 1,
        approval: { step: 1, tool: 'send_email', state: 'waiting', decidedBy: null },
      },
      items: template.items.map((item) => ({ ...item, requestId: id })),
    });
  }

  it('the awkward ids are all valid for the store and the longest are exactly 512 bytes', () => {
    for (const [, id] of AWKWARD_IDS) expect(utf8Length(id)).toBeLessThanOrEqual(MAX_ID_BYTES);
    expect(AWKWARD_IDS.filter(([, id]) => utf8Length(id) === MAX_ID_BYTES)).toHaveLength(5);
  });

  it.each(AWKWARD_IDS)('an id of %s works on every route that takes an id', async (_name, id) => {
    await pausedTask(id);
    const go = (method: string, path: string, payload?: object) => send(port, method, path, payload);

    const got = await go('GET', `/tasks/${enc(id)}`);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({ taskId: id, requestId: id, status: 'paused' });

    const approved = await go('POST', `/requests/${enc(id)}/approve`, { by: 'dave' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ taskId: id, status: 'pending' });

    // found by its request id, no longer paused
    const rejected = await go('POST', `/requests/${enc(id)}/reject`);
    expect(rejected.statusCode, rejected.body).toBe(409);
    expectCleanError(rejected.json(), 'INVALID_STATE');

    const cancelled = await go('POST', `/tasks/${enc(id)}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ taskId: id, status: 'cancelled' });

    const deleted = await go('DELETE', `/tasks/${enc(id)}`);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(await server.store.load(id)).toBeNull();

    const gone = await go('GET', `/tasks/${enc(id)}`);
    expect(gone.statusCode).toBe(404);
    expectCleanError(gone.json(), 'TASK_NOT_FOUND');
  });

  it('ids also work fully percent-encoded, dots as %2E included', async () => {
    for (const id of ['..', 'a.b', 'plain']) {
      await pausedTask(id);
      const path = `/tasks/${[...Buffer.from(id)].map((b) => `%${b.toString(16).toUpperCase()}`).join('')}`;
      const got = await send(port, 'GET', path);
      expect(got.statusCode, got.body).toBe(200);
      expect(got.json()).toMatchObject({ taskId: id });
      await server.store.delete(id);
    }
  });

  it('an id one byte too long reaches the route and is 400 naming the id, on every route', async () => {
    const id = 'a'.repeat(MAX_ID_BYTES + 1);
    for (const [method, url, field] of [
      ['GET', `/tasks/${id}`, 'id'],
      ['POST', `/tasks/${id}/cancel`, 'id'],
      ['DELETE', `/tasks/${id}`, 'id'],
      ['POST', `/requests/${id}/approve`, 'requestId'],
      ['POST', `/requests/${id}/reject`, 'requestId'],
    ] as const) {
      const res = await server.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url.slice(0, 20)}`).toBe(400);
      expectCleanError(res.json(), 'INVALID_INPUT', field);
      expect(res.json().error.message).toMatch(/at most 512 UTF-8 bytes/);
    }
  });

  it('an id with a control character is 400 naming the id', async () => {
    const res = await server.app.inject(`/tasks/${enc('bad\u0007id')}`);
    expect(res.statusCode).toBe(400);
    expectCleanError(res.json(), 'INVALID_INPUT', 'id');
    expect(res.json().error.message).toMatch(/control characters/);
  });
});

describe('errors Fastify and Node raise themselves have the documented shape', () => {
  const server = serverPerSuite();

  it('a path segment far longer than any id is 414 URI_TOO_LONG', async () => {
    const res = await server.app.inject(`/tasks/${'a'.repeat(5000)}`);
    expect(res.statusCode).toBe(414);
    expectCleanError(res.json(), 'URI_TOO_LONG');
    expect(res.body.length).toBeLessThan(300); // the path is not echoed
  });

  it('a path that is not valid percent-encoding is 400 naming the url', async () => {
    const res = await server.app.inject('/tasks/%E0%A4%A');
    expect(res.statusCode).toBe(400);
    expectCleanError(res.json(), 'INVALID_INPUT', 'url');
  });

  it('an unknown route is 404 NOT_FOUND', async () => {
    const res = await server.app.inject({ method: 'PUT', url: '/tasks/x' });
    expect(res.statusCode).toBe(404);
    expectCleanError(res.json(), 'NOT_FOUND');
  });

  it('a body over 64 KiB is 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/tasks',
      payload: { query: 'x'.repeat(70_000) },
    });
    expect(res.statusCode).toBe(413);
    expectCleanError(res.json(), 'PAYLOAD_TOO_LARGE');
  });

  it('a body of another media type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/tasks',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'query=hi',
    });
    expect(res.statusCode).toBe(415);
    expectCleanError(res.json(), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a malformed JSON body is 400 naming the body', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/tasks/x/cancel',
      headers: { 'content-type': 'application/json' },
      payload: '{"by": "al',
    });
    expect(res.statusCode).toBe(400);
    expectCleanError(res.json(), 'INVALID_INPUT', 'body');
  });

  it('headers too large for Node are 431 HEADERS_TOO_LARGE in the same shape, over a real socket', async () => {
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.app.server.address() as net.AddressInfo;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expectCleanError(JSON.parse(body!), 'HEADERS_TOO_LARGE');
  });
});

describe('__proto__ and constructor keys in a JSON body', () => {
  const server = serverPerSuite();

  const post = (url: string, payload: string) =>
    server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

  it('are read as plain keys: an unknown field named in a 400, nothing polluted', async () => {
    const res = await post('/tasks', '{"query": "hi", "__proto__": {"polluted": true}}');
    expect(res.statusCode).toBe(400);
    expectCleanError(res.json(), 'INVALID_INPUT', '__proto__');
    expect(res.json().error.message).toMatch(/__proto__ is not a field/);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();

    const ctor = await post('/tasks', '{"query": "hi", "constructor": {"prototype": {"polluted": true}}}');
    expect(ctor.statusCode).toBe(400);
    expectCleanError(ctor.json(), 'INVALID_INPUT', 'constructor');
  });

  it('inside a field, the field is what the 400 names', async () => {
    const res = await post('/tasks', '{"query": {"__proto__": "hi"}}');
    expect(res.statusCode).toBe(400);
    expectCleanError(res.json(), 'INVALID_INPUT', 'query');
    const by = await post('/requests/r1/approve', '{"__proto__": {"by": "x"}}');
    expect(by.statusCode).toBe(400);
    expectCleanError(by.json(), 'INVALID_INPUT', '__proto__');
  });
});
