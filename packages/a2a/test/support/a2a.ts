/** A2A objects for tests: call contexts, messages and tasks shaped as the 1.x SDK makes them. */
import { type Artifact, type ListTasksRequest, type Message, Role, type Task, TaskState } from '@a2a-js/sdk';
import { ServerCallContext, type User } from '@a2a-js/sdk/server';

/** An authenticated caller named `name`. */
export function user(name: string): User {
  return { isAuthenticated: true, userName: name };
}

/** A call context for `owner` (unauthenticated when undefined) in `tenant`. */
export function context(owner?: string, tenant?: string, requestedVersion?: string): ServerCallContext {
  return new ServerCallContext({
    ...(owner === undefined ? {} : { user: user(owner) }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(requestedVersion === undefined ? {} : { requestedVersion }),
  });
}

/** A text message, with the fields the SDK's decoder sets (some `undefined`). */
export function message(
  messageId: string,
  text: string,
  role: Role = Role.ROLE_USER,
  extra: Partial<Message> = {},
): Message {
  return {
    messageId,
    contextId: '',
    taskId: '',
    role,
    parts: [
      { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' },
    ],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
    ...extra,
  };
}

/** A message carrying raw bytes and a structured data part. */
export function fileMessage(messageId: string): Message {
  return message(messageId, 'a file', Role.ROLE_USER, {
    parts: [
      {
        content: { $case: 'raw', value: Buffer.from([0, 1, 2, 250, 255]) },
        metadata: { note: 'bytes' },
        filename: 'blob.bin',
        mediaType: 'application/octet-stream',
      },
      {
        content: {
          $case: 'data',
          value: { nested: [1, 'two', null, { deep: true }], $a2a: 'a key like a tag' },
        },
        metadata: undefined,
        filename: '',
        mediaType: 'application/json',
      },
    ],
    metadata: { source: 'test', empty: {}, list: [] },
  });
}

/** An artifact named `name`. */
export function artifact(artifactId: string, text: string): Artifact {
  return {
    artifactId,
    name: `artifact ${artifactId}`,
    description: '',
    parts: [
      { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' },
    ],
    metadata: undefined,
    extensions: [],
  };
}

/** A task in `state` at `timestamp` (none when undefined). */
export function task(
  id: string,
  contextId: string,
  state: TaskState | undefined,
  timestamp: string | undefined,
  extra: Partial<Task> = {},
): Task {
  return {
    id,
    contextId,
    status: state === undefined ? undefined : { state, message: undefined, timestamp },
    artifacts: [],
    history: [],
    metadata: undefined,
    ...extra,
  };
}

/** A `ListTasksRequest` as the SDK's decoder fills it, with `params` over the defaults. */
export function listRequest(params: Partial<ListTasksRequest> = {}): ListTasksRequest {
  return { tenant: '', contextId: '', status: 0, pageToken: '', statusTimestampAfter: undefined, ...params };
}

export { Role, TaskState };
