/**
 * A deterministic agent (no model): it counts the words of what it is sent, one step at a time,
 * publishing each step as a status update, then an artifact with the count. "wait" runs until
 * the task is cancelled.
 */
import { A2A_PROTOCOL_VERSION, type AgentCard, type Message, type Part, Role, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';

function textPart(text: string): Part {
  return {
    content: { $case: 'text', value: text },
    metadata: undefined,
    filename: '',
    mediaType: 'text/plain',
  };
}

function agentMessage(taskId: string, contextId: string, text: string): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId,
    taskId,
    role: Role.ROLE_AGENT,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function textOf(message: Message): string {
  const content = message.parts.find((part) => part.content?.$case === 'text')?.content;
  return content?.$case === 'text' ? content.value : '';
}

/** The word counter. `stepDelayMs` is the pause between steps, so a kill can land mid-task. */
export class WordCountExecutor implements AgentExecutor {
  readonly #cancelled = new Set<string>();
  readonly #stepDelayMs: number;

  constructor(stepDelayMs: number) {
    this.#stepDelayMs = stepDelayMs;
  }

  cancelTask = async (taskId: string): Promise<void> => {
    this.#cancelled.add(taskId);
  };

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId, userMessage } = context;
    const status = (state: TaskState, text?: string) =>
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: {
          state,
          message: text === undefined ? undefined : agentMessage(taskId, contextId, text),
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      });
    if (context.task === undefined) {
      bus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: {
            state: TaskState.TASK_STATE_SUBMITTED,
            message: undefined,
            timestamp: new Date().toISOString(),
          },
          artifacts: [],
          history: [userMessage],
          metadata: undefined,
        }),
      );
    }
    const text = textOf(userMessage);
    const words = text.split(/\s+/).filter((word) => word !== '');
    try {
      for (let i = 0; i < words.length || text.startsWith('wait'); i++) {
        if (this.#cancelled.has(taskId)) {
          bus.publish(status(TaskState.TASK_STATE_CANCELED, 'cancelled'));
          return;
        }
        if (i < words.length) bus.publish(status(TaskState.TASK_STATE_WORKING, `word ${i + 1}: ${words[i]}`));
        await new Promise((resolve) => setTimeout(resolve, this.#stepDelayMs));
      }
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {
            artifactId: `${taskId}-count`,
            name: 'word count',
            description: '',
            parts: [textPart(String(words.length))],
            metadata: undefined,
            extensions: [],
          },
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
      bus.publish(status(TaskState.TASK_STATE_COMPLETED, `${words.length} words`));
    } finally {
      this.#cancelled.delete(taskId);
      bus.finished();
    }
  }
}

/** The agent card of a server reachable at `url`. */
export function agentCard(url: string): AgentCard {
  return {
    name: 'Word counter on taskvault',
    description: 'Counts the words it is sent, step by step; its tasks survive restarts.',
    supportedInterfaces: [
      { url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
    ],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: true, pushNotifications: true, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text'],
    defaultOutputModes: ['text'],
    skills: [
      {
        id: 'count-words',
        name: 'Count words',
        description: 'Counts the words of a message.',
        tags: ['demo'],
        examples: ['how many words is this'],
        inputModes: ['text'],
        outputModes: ['text'],
        securityRequirements: [],
      },
    ],
    documentationUrl: '',
    signatures: [],
  };
}
