/**
 * `list` with the SDK's semantics, step for step as `InMemoryTaskStore` does it: filter by
 * `contextId`, exact `status` and `statusTimestampAfter`; sort by status timestamp, newest
 * first, then id, both descending by `localeCompare`; count; resume after the task a
 * `pageToken` names; cut `pageSize` (default 50); empty `artifacts` unless `includeArtifacts`.
 * Page tokens have the SDK's form, so a token from one store pages the other.
 * `historyLength` is left to the request handler, which applies it to every listed task, as
 * it does for `InMemoryTaskStore`; `pageSize` bounds (1..100) are checked there too.
 */
import { RequestMalformedError } from '@a2a-js/sdk/errors';
import type { ListTasksRequest, ListTasksResponse, Task } from './sdk-types.js';

/** The SDK's default `pageSize`. */
export const DEFAULT_PAGE_SIZE = 50;

/** One page of `tasks` (the caller's, unfiltered) for `params`. */
export function pageOf(tasks: Task[], params: ListTasksRequest): ListTasksResponse {
  const {
    contextId,
    status,
    pageSize = DEFAULT_PAGE_SIZE,
    pageToken,
    statusTimestampAfter,
    includeArtifacts = false,
  } = params;
  let matching = tasks;
  if (contextId) matching = matching.filter((task) => task.contextId === contextId);
  if (status !== undefined && status !== 0)
    matching = matching.filter((task) => task.status?.state === status);
  if (statusTimestampAfter) {
    const after = new Date(statusTimestampAfter).getTime();
    matching = matching.filter(
      (task) => task.status?.timestamp && new Date(task.status.timestamp).getTime() > after,
    );
  }
  matching.sort((a, b) => {
    const timeA = a.status?.timestamp || '';
    const timeB = b.status?.timestamp || '';
    if (timeB !== timeA) return timeB.localeCompare(timeA);
    return b.id.localeCompare(a.id);
  });
  const totalSize = matching.length;
  if (pageToken) {
    const cursor = decodePageToken(pageToken);
    const at = matching.findIndex(
      (task) => (task.status?.timestamp || '') === cursor.timestamp && task.id === cursor.id,
    );
    matching = at === -1 ? [] : matching.slice(at + 1);
  }
  const page = matching.slice(0, pageSize);
  if (!includeArtifacts) for (const task of page) task.artifacts = [];
  const last = page.at(-1);
  return {
    tasks: page,
    nextPageToken: last !== undefined && matching.length > page.length ? encodePageToken(last) : '',
    pageSize,
    totalSize,
  };
}

/** The SDK's page token: base64 of `<status timestamp>|<task id>`. */
function encodePageToken(task: Task): string {
  return Buffer.from(`${task.status?.timestamp || ''}|${task.id}`).toString('base64');
}

/** @throws RequestMalformedError for a token without the separator, as the SDK does. */
function decodePageToken(pageToken: string): { timestamp: string; id: string } {
  const [timestamp = '', ...idParts] = Buffer.from(pageToken, 'base64').toString('utf-8').split('|');
  if (idParts.length === 0) throw new RequestMalformedError('Invalid page token format.');
  return { timestamp, id: idParts.join('|') };
}
