/**
 * The server as a user runs it (`node dist/main.js`, configured by TASKVAULT_* variables), on
 * Redis and PostgreSQL: send it work, kill it with SIGKILL mid-task, start it again on the same
 * store; every task is still there, and the restarted server takes new work.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Message, Role, type Task, TaskState } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { postgresForTests, redisForTests } from '@taskvault/test-servers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(new URL('../dist/main.js', import.meta.url))) {
    throw new Error(
      'apps/a2a-server/dist is missing: run `pnpm turbo run build --filter=@taskvault/a2a-server...`',
    );
  }
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => kill(child)));
});

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: appDir,
    env: { ...process.env, PORT: '0', STEP_DELAY_MS: '20', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 30 s: ${stderr}`)), 30_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}: ${stderr}`));
    });
  });
  return { child, url };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function connect(url: string): Promise<Client> {
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory()],
    }),
  ).createFromUrl(url);
}

function request(text: string, returnImmediately: boolean) {
  const message: Message = {
    messageId: crypto.randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' },
    ],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
  return {
    tenant: '',
    message,
    configuration: {
      acceptedOutputModes: ['text/plain'],
      taskPushNotificationConfig: undefined,
      returnImmediately,
    },
    metadata: undefined,
  };
}

const listAll = {
  tenant: '',
  contextId: '',
  status: 0,
  pageToken: '',
  statusTimestampAfter: undefined,
  includeArtifacts: true,
};

for (const backend of ['redis', 'postgres'] as const) {
  describe(`a2a-server on ${backend}`, () => {
    let env: Record<string, string> = {};
    let destroy = async () => {};
    beforeAll(async () => {
      if (backend === 'redis') {
        const server = await redisForTests();
        env = { TASKVAULT_BACKEND: 'redis', TASKVAULT_REDIS_URL: server.url };
        destroy = () => server.destroy();
      } else {
        const server = await postgresForTests();
        env = { TASKVAULT_BACKEND: 'postgres', TASKVAULT_POSTGRES_URL: await server.createDatabase() };
        destroy = () => server.destroy();
      }
      env.TASKVAULT_NAMESPACE = `a2a-server-${crypto.randomUUID()}`;
    });
    afterAll(async () => destroy());

    it('is killed mid-task and restarted without losing a task', async () => {
      const first = await start(env);
      const client = await connect(first.url);
      const done = (await client.sendMessage(request('one two three', false))) as Task;
      expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(done.artifacts[0]?.parts[0]?.content).toStrictEqual({ $case: 'text', value: '3' });
      const running = (await client.sendMessage(request('wait for ever', true))) as Task;
      const before = await Promise.all([done.id, running.id].map((id) => client.getTask({ tenant: '', id })));

      await kill(first.child);
      const second = await start(env);
      const again = await connect(second.url);
      const after = await Promise.all([done.id, running.id].map((id) => again.getTask({ tenant: '', id })));
      expect(after[0]).toStrictEqual(before[0]);
      // the task that was running when the server died is still there, as far as it got
      expect(after[1]?.id).toBe(running.id);
      expect(after[1]?.history.length).toBeGreaterThanOrEqual(1);
      expect((await again.listTasks(listAll)).totalSize).toBe(2);

      const more = (await again.sendMessage(request('four words right here', false))) as Task;
      expect(more.artifacts[0]?.parts[0]?.content).toStrictEqual({ $case: 'text', value: '4' });
      expect((await again.listTasks(listAll)).totalSize).toBe(3);
    });
  });
}
