/**
 * The update and patch scripts' arguments, worked out on the client so the scripts only apply
 * them (create's, for a whole task, are in whole-task.ts).
 */
import type { PatchRequest, ReplaceRequest, RetentionPolicy } from '@taskvault/core/adapter';
import { type ScriptArg, scriptArgs } from './connection.js';
import { dataMember, encodeDoc, itemText } from './doc.js';
import { distinctRequestIds, indexSuffixes, type KeyLayout } from './keys.js';
import { SCRIPTS } from './scripts.js';
import { nullable } from './whole-task.js';

/**
 * The update script's arguments for `request`: the replacement as a document, its expiry, its
 * index suffixes and its live-until instant `liveUntil` (epoch ms or null: its score in the expiry
 * indexes). `purge` is how many expired tasks the call may remove on the way.
 */
export function updateArgs(
  layout: KeyLayout,
  request: ReplaceRequest,
  liveUntil: number | null,
  purge: number,
  feedRetainMs: number,
): ScriptArg[] {
  const r = request.replacement;
  const now = request.now.getTime();
  const [idx, key] = layout.taskKeys(r.taskId);
  const args = scriptArgs(SCRIPTS.update, idx, key);
  args.push(now, r.taskId, request.expectedVersion === null ? '' : request.expectedVersion, now);
  args.push(nullable(r.expiresAt), purge);
  // version and createdAt are the stored task's: the script writes them into the fixed-width head
  args.push(
    encodeDoc({
      version: 0,
      updatedAt: now,
      status: r.status,
      expiresAt: r.expiresAt,
      createdAt: 0,
      sessionId: r.sessionId,
      userId: r.userId,
      data: r.data,
      items: r.items,
    }),
  );
  args.push(
    indexSuffixes(r.status, r.sessionId, r.userId, liveUntil !== null, distinctRequestIds(r.items)),
    liveUntil ?? '',
    feedRetainMs,
  );
  return args;
}

/**
 * The patch script's arguments for `request`: each change as a mode and its value, the retention
 * policy's durations (the script works out the live-until instant from the status the task ends
 * up with), the data members to merge, the new request ids and the items to append. The script
 * refuses a task that would grow past `maxTaskBytes`; `purge` is as for {@link updateArgs}.
 */
export function patchArgs(
  layout: KeyLayout,
  request: PatchRequest,
  maxTaskBytes: number,
  retention: RetentionPolicy | null,
  purge: number,
  feedRetainMs: number,
): ScriptArg[] {
  const { taskId, patch } = request;
  const now = request.now.getTime();
  const [idx, key] = layout.taskKeys(taskId);
  const args = scriptArgs(SCRIPTS.patch, idx, key);
  args.push(now, taskId, request.expectedVersion === null ? '' : request.expectedVersion);
  args.push(maxTaskBytes, now, patch.status ?? '');
  pushIdChange(args, patch.sessionId);
  pushIdChange(args, patch.userId);
  const x = patch.expiresAt;
  args.push(x === undefined ? 'k' : x === null ? 'n' : 's', x ? x.getTime() : '', purge);
  if (retention === null) args.push('', '', '');
  else args.push(retention.completed ?? '', retention.failed ?? '', retention.cancelled ?? '');
  args.push(feedRetainMs);
  const data = patch.data;
  if (data === undefined) {
    args.push(0);
  } else {
    const keys = Object.keys(data);
    args.push(keys.length);
    for (const key of keys) args.push(dataMember(key, data[key]!));
  }
  const items = patch.appendItems ?? [];
  const requestIds = distinctRequestIds(items);
  args.push(requestIds.length);
  for (const id of requestIds) args.push(id);
  args.push(items.length);
  for (const item of items) args.push(itemText(item));
  return args;
}

/** A patch of sessionId or userId as three arguments: mode (k keep, n null, s set), the id, its JSON. */
function pushIdChange(args: ScriptArg[], value: string | null | undefined): void {
  if (value === undefined) args.push('k', '', '');
  else if (value === null) args.push('n', '', '');
  else args.push('s', value, JSON.stringify(value));
}
