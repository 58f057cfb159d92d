/**
 * LangGraph checkpointers' calls, shared by `MemorySaver` and `PostgresSaver`: a thread per task,
 * whose latest checkpoint holds the document in one channel. Create is the thread's first `put`,
 * update a `put` of the next checkpoint (new id, the channel's version bumped, the previous one as
 * parent: what a graph step writes), load a `getTuple` of the thread's latest checkpoint.
 */
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  type BaseCheckpointSaver,
  type Checkpoint,
  type CheckpointMetadata,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import { type PeerCalls, peerDocument } from './fixtures.js';

/** What one call does, for the report. */
export const LANGGRAPH_CALLS = {
  create: 'saver.put(thread config, checkpoint holding doc)',
  load: 'saver.getTuple(thread config) (latest checkpoint)',
  update: 'saver.put(previous config, next checkpoint)',
} as const;

function threadConfig(threadId: string): RunnableConfig {
  return { configurable: { thread_id: threadId, checkpoint_ns: '' } };
}

/** The calls on `saver`; the handle of a thread is the config its last `put` returned. */
export function langgraphCalls(saver: BaseCheckpointSaver): PeerCalls<RunnableConfig> {
  const doc = peerDocument('peer');
  let version = 0;
  const put = (config: RunnableConfig, step: number) => {
    const v = ++version;
    const checkpoint: Checkpoint = {
      v: 4,
      id: uuid6(-1),
      ts: new Date().toISOString(),
      channel_values: { task: doc },
      channel_versions: { task: v },
      versions_seen: {},
    };
    const metadata: CheckpointMetadata = { source: 'loop', step, parents: {} };
    return saver.put(config, checkpoint, metadata, { task: v });
  };
  return {
    insert: (threadId) => put(threadConfig(threadId), 0),
    read: (threadId) => saver.getTuple(threadConfig(threadId)),
    write: (_threadId, previous) => put(previous, 1),
  };
}
