/**
 * GET /events: the store's changes as Server-Sent Events, what the page refreshes on, and the
 * workers' wake-up: a submitted task is claimed at once, not after a poll interval.
 */
import type { TaskStore } from '@taskvault/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoAgent } from '../src/agent.js';
import { buildServer } from '../src/server.js';
import { Worker } from '../src/worker.js';
import { memoryStore } from './helpers.js';

describe('GET /events', () => {
  let store: TaskStore;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    store = await memoryStore();
    app = buildServer({ agent: new DemoAgent(store) });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('streams a change for each write, as event-stream text', async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += value;
      }
    };
    await until(/event: ready\n/);
    const submitted = await fetch(`${url}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'what is 2 + 2?' }),
    });
    const { taskId } = (await submitted.json()) as { taskId: string };
    await until(new RegExp(`event: change\\ndata: \\{"type":"created","taskId":"${taskId}","version":1`));
    expect(text).toMatch(/^id: \d+$/m);
    controller.abort();
  });
});

describe('a worker on the change feed', () => {
  it('claims a task submitted while it idles at once, not after its (long) poll', async () => {
    const store = await memoryStore();
    // a poll far longer than the test: only the feed can wake it
    const worker = new Worker({ store, workerId: 'feed-worker', pollMs: 60_000, leaseMs: 120_000 });
    worker.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // idle now
      const agent = new DemoAgent(store);
      const task = await agent.submit({ query: 'what is 2 + 2?' });
      const started = Date.now();
      while (worker.stats.claimed === 0 && Date.now() - started < 5000)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(worker.stats.claimed).toBe(1);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await store.load(task.taskId))?.status).not.toBe('pending');
    } finally {
      await worker.stop();
      await store.close();
    }
  });
});
