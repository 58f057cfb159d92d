/** Shared by the CLI tests: task fixtures, in-memory streams, and the built bin in a child process. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { AgentTask, TaskStatus, TaskStore } from '@taskvault/core';
import { MemoryTaskStore } from '@taskvault/memory';
import type { CliIo, OutStream } from '../src/index.js';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const STATUSES: TaskStatus[] = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];
const BASE = Date.UTC(2025, 0, 15, 9, 30);

/**
 * `n` tasks as a store returns them, varied the way real ones are: ids with `:`, `*`, `{`,
 * quotes, spaces and emoji; same-millisecond ties; versions, expiries in the future, nested data
 * (including a string that looks like a date), multimodal items.
 */
export function makeTasks(n: number, prefix = 'task'): AgentTask[] {
  const tasks: AgentTask[] = [];
  for (let i = 0; i < n; i++) {
    const weird = ['', ':a', '*b', '{c}', ' "q" ', ' 🚀'][i % 6];
    const createdAt = new Date(BASE + Math.floor(i / 3) * 1000); // three tasks per millisecond tie
    tasks.push({
      taskId: `${prefix}-${String(i).padStart(6, '0')}${weird}`,
      status: STATUSES[i % STATUSES.length]!,
      sessionId: i % 4 === 0 ? null : `session-${i % 50}`,
      userId: i % 5 === 0 ? null : `user-${i % 7}`,
      items:
        i % 3 === 0
          ? []
          : [
              { requestId: `req-${i}-1`, role: 'user', content: `question ${i} — ünïcödé`, createdAt },
              {
                requestId: `req-${i}-2`,
                role: 'assistant',
                content: [
                  { type: 'text', text: 'answer' },
                  { type: 'tool_call', args: { n: i, ok: true } },
                ],
                createdAt: new Date(createdAt.getTime() + 5),
              },
            ],
      data: {
        query: `query ${i}`,
        maxSteps: i % 30,
        looksLikeADate: '2025-01-15T09:30:00.000Z',
        nested: { list: [1, 2.5, null, 'x'], empty: {}, flag: i % 2 === 0 },
      },
      createdAt,
      updatedAt: new Date(createdAt.getTime() + 60_000),
      expiresAt: i % 7 === 0 ? new Date(Date.UTC(2099, 0, 1) + i) : null,
      version: 1 + (i % 9),
    });
  }
  return tasks;
}

/** A memory store in a fresh namespace. */
export function memoryStore(): MemoryTaskStore {
  return new MemoryTaskStore({ namespace: `cli-${randomUUID()}` });
}

/** Every task of a store, oldest first. */
export async function allTasks(store: TaskStore): Promise<AgentTask[]> {
  const out: AgentTask[] = [];
  let cursor: string | null = null;
  do {
    const page: { tasks: AgentTask[]; nextCursor: string | null } = await store.list({
      order: 'asc',
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.tasks);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** Tasks sorted like a walk returns them (createdAt, then id in code point order). */
export function sortedLikeWalk(tasks: AgentTask[]): AgentTask[] {
  return [...tasks].sort(
    (a, b) =>
      a.createdAt.getTime() - b.createdAt.getTime() ||
      (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0),
  );
}

/** A writable that keeps what was written, optionally pretending to be a terminal. */
export function sink(isTTY = false): OutStream & { text(): string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; text(): string };
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  if (isTTY) {
    stream.isTTY = true;
    stream.columns = 100;
  }
  stream.text = () => Buffer.concat(chunks).toString('utf8');
  return stream;
}

/** An io for `run()` in this process, with `stdin` text and an environment without TASKVAULT_*. */
export function testIo(stdin = '', env: Record<string, string> = {}) {
  const stdout = sink();
  const stderr = sink();
  const io: CliIo = { stdin: Readable.from([stdin]), stdout, stderr, env, cwd: process.cwd() };
  return { io, stdout, stderr };
}

/** The environment for a child: this one without any TASKVAULT_* or source-system variable. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(TASKVAULT_|TA_|TASK_STORAGE|POSTGRES_CONNECTION)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs the built `taskvault` with `args`, feeding `input` on stdin. */
export function spawnCli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: childEnv(options.env ?? {}),
      cwd: process.cwd(),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Whether `store` implements `restore` yet (the Redis, PostgreSQL and SQLite implementations
 * land separately): one probe task restored into its namespace and deleted again.
 */
export async function restoreWorks(store: TaskStore): Promise<boolean> {
  const [probe] = makeTasks(1, `probe-${randomUUID()}`);
  try {
    await store.restore([probe!]);
  } catch (error) {
    if (/not a function/.test(String((error as Error).message))) return false;
    throw error;
  }
  await store.delete(probe!.taskId);
  return true;
}
