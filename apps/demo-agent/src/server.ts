/**
 * The HTTP service: routes over the agent, hand-checked input (every 400 names its field), one
 * error table (`http-errors.ts`), and the browser page at `/`.
 */

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isTaskStatus, MAX_ID_BYTES, MAX_LIST_LIMIT, TASK_STATUSES, type TaskStatus } from '@taskvault/core';
import { idProblem } from '@taskvault/core/adapter';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import { AgentError, type DemoAgent } from './agent.js';
import { clientErrorResponse, toHttpError } from './http-errors.js';
import type { Metrics } from './metrics.js';
import type { SweepLog } from './sweep-log.js';
import { toView } from './view.js';
import type { Worker } from './worker.js';

/** Options of {@link buildServer}. */
export interface ServerOptions {
  agent: DemoAgent;
  /** Workers of this process, reported by `/healthz`. */
  workers?: readonly Worker[];
  /** A pino logger; none by default. */
  logger?: FastifyBaseLogger;
  /** Where `index.html` and `app.js` are; found next to the code by default. */
  pageDir?: string;
  /** Serves `GET /metrics` (Prometheus text) when given. */
  metrics?: Metrics;
  /** The retention policy and last sweep, reported by `/healthz` (and shown on the page). */
  sweeps?: SweepLog;
}

/** The page's directory: `page/` next to this module (copied into dist by the build), else `src/page`. */
export function findPageDir(): string {
  const candidates = [new URL('./page/', import.meta.url), new URL('../src/page/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error(`the page files were not found in ${candidates.map((u) => fileURLToPath(u)).join(' or ')}`);
}

/**
 * The longest path segment routed (decoded characters): four times the longest id, so any id the
 * store could accept — and any a little too long, which checkId then names — reaches a route;
 * longer ones are 414 URI_TOO_LONG.
 */
export const MAX_PATH_SEGMENT = 4 * MAX_ID_BYTES;

function checkId(field: string, value: unknown): string {
  const problem = idProblem(value);
  if (problem !== null) throw new AgentError('INVALID_INPUT', `${field} ${problem}`, field);
  return value as string;
}

/** `status=paused`, `status=paused,pending` or `status=paused&status=pending`. */
function parseStatus(value: unknown): TaskStatus[] | undefined {
  if (value === undefined || value === '') return undefined;
  const words = (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim());
  for (const word of words) {
    if (!isTaskStatus(word)) {
      throw new AgentError(
        'INVALID_INPUT',
        `status must be one of ${TASK_STATUSES.join(', ')} (comma-separated for several), got ${JSON.stringify(word)}`,
        'status',
      );
    }
  }
  return words as TaskStatus[];
}

function parseLimit(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT) {
    throw new AgentError('INVALID_INPUT', `limit must be an integer from 1 to ${MAX_LIST_LIMIT}`, 'limit');
  }
  return n;
}

function single(field: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new AgentError('INVALID_INPUT', `${field} must be given once`, field);
  return value;
}

/** The optional `{ by }` body of approve, reject and cancel. */
function deciderOf(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AgentError('INVALID_INPUT', 'the body must be a JSON object like {"by": "alice"}', 'body');
  }
  for (const key of Object.keys(body)) {
    if (key !== 'by') throw new AgentError('INVALID_INPUT', `${key} is not a field here (known: by)`, key);
  }
  return (body as { by?: unknown }).by;
}

/**
 * Builds the Fastify app (not listening yet). Routes:
 * `POST /tasks` -> 202 `{ taskId, requestId, status, version }`; `GET /tasks/:id`;
 * `GET /tasks?status=&cursor=&limit=&order=`; `POST /requests/:requestId/approve|reject`;
 * `POST /tasks/:id/cancel`; `DELETE /tasks/:id` -> 204; `GET /healthz` (503 when the store is not
 * ok); `GET /events` (Server-Sent Events of the store's changes); `GET /metrics` (with
 * `options.metrics`); `GET /` and `/app.js`, the page.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { agent } = options;
  const workers = options.workers ?? [];
  const pageDir = options.pageDir ?? findPageDir();
  const indexHtml = readFileSync(`${pageDir}index.html`, 'utf8');
  const appJs = readFileSync(`${pageDir}app.js`, 'utf8');

  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // the page polls every second: request lines would drown the one-line-per-step log
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // Fastify's default of 100 characters cut ids short: every id the store accepts must reach
    // checkId, which says what is wrong with a bad one. The router measures the decoded segment.
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT },
    // A body is plain data, as the store treats it: `__proto__` and `constructor` keys become own
    // properties (JSON.parse never touches a prototype), and the field checks then name them.
    // Safe because no body is ever merged into another object by assignment.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // Errors the router raises before any route runs (bad percent-encoding, over-long segments).
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toHttpError(error);
      // the option's reply type is generic over the route's schema, which no route has yet
      void (reply as FastifyReply).code(status).send(body);
    },
    // Malformed HTTP the parser rejects before Fastify sees a request (headers too large, ...).
    clientErrorHandler: (error, socket) => {
      if (socket.writable) socket.end(clientErrorResponse(error));
      else socket.destroy(error);
    },
  });

  // JSON only: a text body would otherwise reach the routes as a string.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) {
      request.log.error(
        {
          err: { message: (error as Error).message, code: (error as { code?: string }).code },
          url: request.url,
        },
        'request failed',
      );
    }
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    });
  });

  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(indexHtml));
  app.get('/app.js', (_request, reply) => reply.type('text/javascript; charset=utf-8').send(appJs));

  const scrape = options.metrics;
  if (scrape !== undefined) {
    app.get('/metrics', (request, reply) => {
      // The exporter writes the response itself.
      reply.hijack();
      scrape.handle(request.raw, reply.raw);
    });
  }

  // Server-Sent Events from the store's change feed: the page refreshes when a task changes
  // instead of polling. Ends when the client goes, the store closes, or the feed fails (the
  // browser's EventSource then reconnects by itself).
  app.get('/events', (request, reply) => {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const controller = new AbortController();
    request.raw.on('close', () => controller.abort());
    // a comment line now and then keeps proxies from closing an idle stream
    const heartbeat = setInterval(() => out.write(': still here\n\n'), 15_000);
    heartbeat.unref();
    void (async () => {
      try {
        const stream = agent.store.watch(undefined, { signal: controller.signal });
        out.write(`event: ready\ndata: ${JSON.stringify({ after: await stream.ready })}\n\n`);
        for await (const change of stream) {
          const { id, type, taskId, version, status, at } = change;
          out.write(
            `id: ${id}\nevent: change\ndata: ${JSON.stringify({ type, taskId, version, status, at })}\n\n`,
          );
        }
      } catch (error) {
        out.write(
          `event: feed-error\ndata: ${JSON.stringify({ code: (error as { code?: string }).code ?? 'ERROR' })}\n\n`,
        );
      } finally {
        clearInterval(heartbeat);
        out.end();
      }
    })();
  });

  app.get('/healthz', async (_request, reply) => {
    const health = await agent.store.healthCheck();
    const count = health.ok ? await agent.store.countActive().catch(() => null) : null;
    return reply.code(health.ok ? 200 : 503).send({
      ...health,
      activeTasks: count,
      retention: options.sweeps?.view() ?? null,
      workers: workers.map((w) => ({ id: w.id, currentTaskId: w.currentTaskId, stats: w.stats })),
    });
  });

  app.post('/tasks', async (request, reply) => {
    const task = await agent.submit(request.body as never);
    return reply.code(202).send({
      taskId: task.taskId,
      requestId: task.data.requestId,
      status: task.status,
      version: task.version,
      plan: toView(task).plan,
    });
  });

  app.get('/tasks', async (request) => {
    const q = (request.query ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(q)) {
      if (!['status', 'cursor', 'limit', 'order'].includes(key)) {
        throw new AgentError(
          'INVALID_INPUT',
          `${key} is not a query parameter here (known: status, cursor, limit, order)`,
          key,
        );
      }
    }
    const status = parseStatus(q.status);
    const limit = parseLimit(q.limit);
    const cursor = single('cursor', q.cursor);
    const order = single('order', q.order);
    if (order !== undefined && order !== 'asc' && order !== 'desc') {
      throw new AgentError('INVALID_INPUT', "order must be 'asc' or 'desc'", 'order');
    }
    const page = await agent.store.list({
      ...(status === undefined ? {} : { status }),
      ...(limit === undefined ? {} : { limit }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(order === undefined ? {} : { order }),
    });
    return { tasks: page.tasks.map(toView), nextCursor: page.nextCursor };
  });

  app.get('/tasks/:id', async (request) => {
    const id = checkId('id', (request.params as { id: string }).id);
    return toView(await agent.get(id));
  });

  app.post('/tasks/:id/cancel', async (request) => {
    const id = checkId('id', (request.params as { id: string }).id);
    return toView(await agent.cancel(id, deciderOf(request.body) as string | undefined));
  });

  app.delete('/tasks/:id', async (request, reply) => {
    const id = checkId('id', (request.params as { id: string }).id);
    await agent.remove(id);
    return reply.code(204).send();
  });

  app.post('/requests/:requestId/approve', async (request) => {
    const requestId = checkId('requestId', (request.params as { requestId: string }).requestId);
    return toView(await agent.approve(requestId, deciderOf(request.body) as string | undefined));
  });

  app.post('/requests/:requestId/reject', async (request) => {
    const requestId = checkId('requestId', (request.params as { requestId: string }).requestId);
    return toView(await agent.reject(requestId, deciderOf(request.body) as string | undefined));
  });

  return app;
}
