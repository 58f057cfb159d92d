import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TaskStore } from '@taskvault/core';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoAgent } from '../src/agent.js';
import { PACKAGE_DIR } from '../src/open-store.js';
import { buildServer } from '../src/server.js';
import { SweepLog } from '../src/sweep-log.js';
import { Worker } from '../src/worker.js';
import { memoryStore, waitForTask } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = `${PACKAGE_DIR}../../.tmp/demo-page.png`;

describe('the page in headless Chromium', () => {
  let store: TaskStore;
  let app: FastifyInstance;
  let worker: Worker;
  let browser: Browser | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    store = await memoryStore();
    const agent = new DemoAgent(store);
    worker = new Worker({ store, workerId: 'page-worker', pollMs: 20, stepDelayMs: 40 });
    app = buildServer({ agent, workers: [worker], sweeps: new SweepLog('completed=1h') });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    worker.start();
  });
  afterAll(async () => {
    await browser?.close();
    await worker.stop();
    await app.close();
    await store.close();
  });

  it('shows a paused task, and clicking Approve completes it', async () => {
    // Never skip silently: without the browser this test fails and says how to get it.
    expect(
      existsSync(CHROMIUM),
      `Chromium is missing at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\``,
    ).toBe(true);
    const agent = new DemoAgent(store);
    const others = [
      await agent.submit({ query: 'What is the population of France plus the population of Germany?' }),
      await agent.submit({ query: 'What is the capital of Atlantis?' }),
      await agent.submit({ query: 'Calculate (17 + 25) * 3 / 2' }),
    ];
    const task = await agent.submit({ query: 'Email the weather in Paris to alice@example.com' });
    await waitForTask(store, task.taskId, (t) => t?.status === 'paused');
    for (const t of others)
      await waitForTask(store, t.taskId, (x) => x?.status === 'completed' || x?.status === 'failed');

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(baseUrl);

    const card = page.locator(`article.task[data-task-id="${task.taskId}"]`);
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('paused');
    await expect
      .poll(() => card.textContent())
      .toContain('approval needed to send an email to alice@example.com');
    await expect.poll(() => page.locator('#health').textContent()).toMatch(/memory store/);
    await expect
      .poll(() => page.locator('#health').textContent())
      .toMatch(/retention completed=1h · no sweep yet/);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await card.locator('button[data-action="approve"]').click();
    // No reload and no fast poll (every 30 s while its event stream is up): the worker's commit
    // reaches the page through /events, and the card moves to completed by itself.
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 8000 }).toBe('completed');
    await expect.poll(() => card.textContent()).toMatch(/sent an email to alice@example.com/i);
    const stored = await store.load(task.taskId);
    expect(stored).toMatchObject({
      status: 'completed',
      data: { approval: { state: 'approved', decidedBy: 'page' } },
    });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-after.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
