/**
 * The SDK end to end on taskvault: a real DefaultRequestHandler and a deterministic executor
 * behind the SDK's Express JSON-RPC transport on a free port, driven by the SDK's own client —
 * send, stream, get, list, cancel, a push notification config. On Redis and PostgreSQL the
 * server is then killed and a new server process on the same store gives every task back. On
 * memory (one process) the server runs in this process and is not restarted.
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
import { type Backend, describeOnBackends } from '@taskvault/test-servers/backends';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { TaskvaultA2APushNotificationStore, TaskvaultA2ATaskStore } from '../src/index.js';
import { startAgentServer } from './fixtures/agent.mjs';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

beforeAll(() => {
  // the server processes import this package by name, which resolves to its build
  if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
    throw new Error('packages/a2a/dist is missing: run `pnpm turbo run build --filter=@taskvault/a2a`');
  }
});

/** Starts the agent server: in this process on memory, else as a child process on `namespace`. */
async function startServer(backend: Backend, namespace: string): Promise<RunningServer> {
  if (backend.name === 'memory') {
    const store = await backend.open(namespace);
    const server = await startAgentServer({
      taskStore: new TaskvaultA2ATaskStore(store),
      pushStore: new TaskvaultA2APushNotificationStore(store),
    });
    const started = { url: server.url, stop: () => server.close() };
    running.push(started);
    return started;
  }
  const child = spawn(
    process.execPath,
    ['test/fixtures/server.mjs', JSON.stringify(backend.config(namespace))],
    {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 30 s: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}: ${stderr}`));
    });
  });
  const server = { url, stop: () => kill(child) };
  running.push(server);
  return server;
}

/** Kills the server process the hard way, as a crash would, and waits for it to be gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function connect(url: string): Promise<Client> {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory()],
    }),
  );
  return factory.createFromUrl(url);
}

function userMessage(messageId: string, text: string, contextId = ''): Message {
  return {
    messageId,
    contextId,
    taskId: '',
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' },
    ],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function send(message: Message, returnImmediately = false) {
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

function asTask(result: unknown): Task {
  expect(result).toHaveProperty('status');
  return result as Task;
}

describeOnBackends('an A2A server on taskvault, driven by the SDK client', (backend) => {
  it('sends, streams, gets, lists and cancels; a new server process on the same store gives every task back', async () => {
    const namespace = `e2e-${crypto.randomUUID()}`;
    const server = await startServer(backend, namespace);
    const client = await connect(server.url);

    // send: the blocking call returns the completed task
    const sent = asTask(await client.sendMessage(send(userMessage('msg-hello', 'hello', 'conversation-1'))));
    expect(sent.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(sent.contextId).toBe('conversation-1');
    expect(sent.artifacts.map((a) => a.parts[0]?.content)).toStrictEqual([
      { $case: 'text', value: 'echo: hello' },
    ]);

    // stream: every event, ending with the completed status
    const events: string[] = [];
    let streamedId = '';
    for await (const event of client.sendMessageStream(send(userMessage('msg-stream', 'stream me')))) {
      const payload = (event as { payload?: { $case: string; value: { id?: string; taskId?: string } } })
        .payload;
      events.push(payload?.$case ?? 'none');
      streamedId ||= payload?.value.id ?? payload?.value.taskId ?? '';
    }
    expect(events).toStrictEqual(['task', 'statusUpdate', 'artifactUpdate', 'statusUpdate']);

    // get: the whole task, and the handler's historyLength on top of the store
    const streamed = await client.getTask({ tenant: '', id: streamedId });
    expect(streamed.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(streamed.history.map((m) => m.messageId)).toStrictEqual([
      'msg-stream',
      `${streamedId}-agent-1`,
      `${streamedId}-agent-2`,
    ]);
    const shortHistory = await client.getTask({ tenant: '', id: streamedId, historyLength: 1 });
    expect(shortHistory.history.map((m) => m.messageId)).toStrictEqual([`${streamedId}-agent-2`]);

    // cancel: a task left running is cancelled
    const waiting = asTask(await client.sendMessage(send(userMessage('msg-wait', 'wait for me'), true)));
    expect(waiting.status?.state).not.toBe(TaskState.TASK_STATE_CANCELED);
    const cancelled = await client.cancelTask({ tenant: '', id: waiting.id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);

    // a push notification config on the first task
    const push = await client.createTaskPushNotificationConfig({
      tenant: '',
      id: 'hook-1',
      taskId: sent.id,
      url: 'http://127.0.0.1:9/hook',
      token: 'token-1',
      authentication: undefined,
    });

    // list: all three, newest status first
    const listed = await client.listTasks(listAll);
    expect(listed.totalSize).toBe(3);
    expect(new Set(listed.tasks.map((t) => t.id))).toStrictEqual(new Set([sent.id, streamedId, waiting.id]));
    const byContext = await client.listTasks({ ...listAll, contextId: 'conversation-1' });
    expect(byContext.tasks.map((t) => t.id)).toStrictEqual([sent.id]);

    // the taskvault side: a message id finds its task
    const raw = await backend.open(namespace);
    expect((await raw.loadByRequestId('msg-hello'))?.taskId).toBe(sent.id);

    const before = {
      tasks: await Promise.all(
        [sent.id, streamedId, waiting.id].map((id) => client.getTask({ tenant: '', id })),
      ),
      list: listed,
      push,
    };
    expect(before.tasks[2]?.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    if (backend.name === 'memory') return;

    // kill the server; a new process on the same store has everything
    await server.stop();
    const restarted = await startServer(backend, namespace);
    const again = await connect(restarted.url);
    const after = {
      tasks: await Promise.all(
        [sent.id, streamedId, waiting.id].map((id) => again.getTask({ tenant: '', id })),
      ),
      list: await again.listTasks(listAll),
      push: await again.getTaskPushNotificationConfig({ tenant: '', taskId: sent.id, id: 'hook-1' }),
    };
    expect(after).toStrictEqual(before);
    // and it carries on: a follow-up message on the restored context
    const followUp = asTask(
      await again.sendMessage(send(userMessage('msg-again', 'hello again', 'conversation-1'))),
    );
    expect(followUp.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect((await again.listTasks({ ...listAll, contextId: 'conversation-1' })).totalSize).toBe(2);
  });
});
