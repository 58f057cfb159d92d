/**
 * The SDK's own runner with a TaskvaultSession: two turns, a restart, a third turn that needs the
 * history. On Redis and PostgreSQL each part runs in its own child process on the same namespace;
 * the memory store lives in one process, so there the "restart" is a new agent, model and
 * session object on the same store.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AgentInputItem, OutputGuardrailTripwireTriggered, Runner } from '@openai/agents-core';
import { type Backend, describeOnBackends } from '@taskvault/test-servers/backends';
import { beforeAll, expect, it } from 'vitest';
import { type HistoryTransactionArgs, TaskvaultSession } from '../src/index.js';
import { makeAgent, turn } from './fixtures/conversation.mjs';
import { textOf } from './fixtures/scripted-model.mjs';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Turns {
  outputs: string[];
  /** What the model was sent, per model call. */
  inputs: AgentInputItem[][];
  /** The session's history after the last turn. */
  items: AgentInputItem[];
}

/** Runs `messages` as turns of session `sessionId` in a fresh process (or, on memory, fresh objects). */
async function turnsInNewProcess(
  backend: Backend,
  namespace: string,
  sessionId: string,
  messages: string[],
): Promise<Turns> {
  if (backend.name === 'memory') {
    const session = new TaskvaultSession(await backend.open(namespace), { sessionId });
    const { model, agent } = makeAgent();
    const outputs: string[] = [];
    for (const message of messages) outputs.push(await turn(agent, session, message));
    return { outputs, inputs: model.inputs, items: await session.getItems() };
  }
  const { stdout } = await run(
    process.execPath,
    ['test/fixtures/turns.mjs', JSON.stringify(backend.config(namespace)), sessionId, ...messages],
    { cwd: packageDir, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Turns;
}

/** A session that records the transactions the runner hands it. */
class RecordingSession extends TaskvaultSession {
  readonly transactions: HistoryTransactionArgs[] = [];
  override async applyHistoryTransaction(args: HistoryTransactionArgs): Promise<void> {
    this.transactions.push(structuredClone(args));
    await super.applyHistoryTransaction(args);
  }
}

beforeAll(() => {
  // the child processes import this package by name, which resolves to its build
  if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
    throw new Error(
      'packages/openai-agents/dist is missing: run `pnpm turbo run build --filter=@taskvault/openai-agents`',
    );
  }
});

describeOnBackends('the SDK run() with a TaskvaultSession', (backend) => {
  it('a two-turn conversation survives a restart: the third turn sees the whole history', async () => {
    const namespace = `run-${backend.name}`;
    const first = await turnsInNewProcess(backend, namespace, 'conversation-1', [
      'Hi! My name is Ada.',
      'What is the weather like?',
    ]);
    expect(first.outputs).toStrictEqual(['Nice to meet you, Ada.', 'The weather: sunny in Paris']);
    // turn 1: user + answer; turn 2: user + tool call + tool result + answer
    expect(first.items.map((item) => ('type' in item && item.type) || 'message')).toStrictEqual([
      'message',
      'message',
      'message',
      'function_call',
      'function_call_result',
      'message',
    ]);
    // the second turn's model call already had the first turn from the session
    expect(first.inputs[1]!.map(textOf).slice(0, 3)).toStrictEqual([
      'Hi! My name is Ada.',
      'Nice to meet you, Ada.',
      'What is the weather like?',
    ]);

    const second = await turnsInNewProcess(backend, namespace, 'conversation-1', ['What is my name?']);
    expect(second.outputs).toStrictEqual(['Your name is Ada.']);
    // the restarted process sent the model every earlier item, deep-equal, then the new question
    const sent = second.inputs[0]!;
    expect(sent.slice(0, first.items.length)).toStrictEqual(first.items);
    expect(sent.slice(first.items.length).map(textOf)).toStrictEqual(['What is my name?']);
    expect(second.items).toHaveLength(first.items.length + 2);
    expect(second.items.slice(0, first.items.length)).toStrictEqual(first.items);

    // another session id on the same store starts empty
    const other = await turnsInNewProcess(backend, namespace, 'conversation-2', ['What is my name?']);
    expect(other.outputs).toStrictEqual(["I don't know your name."]);
  });

  it('an output guardrail that blocks after a tool ran: the runner persists the turn by one transaction', async () => {
    const session = new RecordingSession(await backend.open(), { sessionId: 'guarded' });
    const agent = makeAgent().agent.clone({
      outputGuardrails: [
        {
          name: 'no-weather-reports',
          execute: async ({ agentOutput }) => ({
            tripwireTriggered: /sunny/.test(String(agentOutput)),
            outputInfo: null,
          }),
        },
      ],
    });
    const runner = new Runner({ tracingDisabled: true });
    await expect(runner.run(agent, 'What is the weather like?', { session })).rejects.toBeInstanceOf(
      OutputGuardrailTripwireTriggered,
    );
    // the question, the tool call and its result are kept; the blocked answer is not
    expect(session.transactions).toHaveLength(1);
    const [tx] = session.transactions;
    expect(tx!.transaction.type).toBe('append_items');
    const items = await session.getItems();
    expect(items.map((item) => ('type' in item && item.type) || 'message')).toStrictEqual([
      'message',
      'function_call',
      'function_call_result',
    ]);
    expect(tx!.transaction.type === 'append_items' && tx!.transaction.items).toStrictEqual(items);
    // the runner retrying it (say, on resume after a lost reply) changes nothing
    await session.applyHistoryTransaction(tx!);
    expect(await session.getItems()).toStrictEqual(items);
    // and the conversation goes on from there
    expect(await turn(makeAgent().agent, session, 'Thanks')).toBe('You said: Thanks');
    expect(await session.getItems()).toHaveLength(5);
  });

  it('a compaction the model returns replaces the stored history through replaceHistoryWithCompaction', async () => {
    const namespace = `compaction-${backend.name}`;
    const before = await turnsInNewProcess(backend, namespace, 'long', [
      'My name is Ada.',
      'Please compact.',
    ]);
    expect(before.outputs).toStrictEqual(['Nice to meet you, Ada.', 'Compacted.']);
    // the compaction item stands for the two items before the request; only it and the answer remain
    expect(before.items).toStrictEqual([
      { type: 'compaction', id: 'cmp_2', encrypted_content: '2 earlier items' },
      {
        type: 'message',
        id: 'msg_2',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Compacted.' }],
      },
    ]);
    const after = await turnsInNewProcess(backend, namespace, 'long', ['What is my name?']);
    expect(after.inputs[0]!.slice(0, 2)).toStrictEqual(before.items);
    expect(after.outputs).toStrictEqual(["I don't know your name."]);
  });
});
