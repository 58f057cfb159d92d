/**
 * A namespace keeps the shard count it was first written with: tasks live in bucket
 * hash(taskId) mod shards, so a store with another count would look for them in the wrong buckets
 * (hiding tasks, and letting a create duplicate an id). The count is recorded in the namespace's
 * bucket 0 (`P shards`; every shard count has a bucket 0, and on Cluster that key sits in bucket
 * 0's slot like the rest of it) by the first store that opens it, and every store checks it once,
 * before its first call.
 */
import { type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';
import { type Connection, scriptArgs } from './connection.js';
import type { KeyLayout } from './keys.js';
import { SCRIPTS } from './scripts.js';

export class ShardRecord {
  #checked = false;
  /** The check under way: the recorded count when it differs (null: more buckets hold tasks), or undefined. */
  #checking: Promise<string | null | undefined> | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly layout: KeyLayout,
  ) {}

  /** True once the record was found to match: no call waits for it any more. */
  get checked(): boolean {
    return this.#checked;
  }

  /**
   * Resolves once the namespace's recorded shard count is this store's (recording it when none
   * is). @throws CONFIG_INVALID (path `shards`, as an error of `operation`) naming the recorded
   * count when it differs.
   */
  async check(operation: TaskStoreOperation): Promise<void> {
    if (this.#checked) return;
    this.#checking ??= this.#mismatch().finally(() => {
      this.#checking = null;
    });
    const recorded = await this.#checking;
    if (recorded === undefined) return;
    const { namespace, shards } = this.layout;
    const name = JSON.stringify(namespace);
    throw taskStoreError(operation, 'CONFIG_INVALID', {
      path: 'shards',
      detail:
        recorded === null
          ? `namespace ${name} holds tasks in buckets past ${shards}: it was written with more shards; open it with the shard count it was written with`
          : `namespace ${name} was created with shards: ${recorded}, not ${shards}; open it with shards: ${recorded} (a namespace keeps its shard count)`,
    });
  }

  /** Reads (or makes) the record: undefined when it matches, else what differs. */
  async #mismatch(): Promise<string | null | undefined> {
    const { layout, conn } = this;
    const shards = String(layout.shards);
    // The record, and whether the bucket just past this count holds tasks (then more shards wrote
    // this namespace, before counts were recorded): one round trip.
    const [recorded, beyond] = await Promise.all([
      conn.command('get', [layout.shardRecordKey]),
      conn.command('exists', [layout.bucketAt(layout.shards).idx]),
    ]);
    let found = typeof recorded === 'string' ? recorded : null;
    if (found === null) {
      if (Number(beyond) === 1) return null;
      const script = SCRIPTS.shards;
      found = String(await conn.script(script, [...scriptArgs(script, layout.buckets[0]!.idx), shards]));
    }
    if (found !== shards) return found;
    this.#checked = true;
    return undefined;
  }
}
