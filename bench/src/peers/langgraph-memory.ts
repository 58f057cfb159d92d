/** LangGraph's `MemorySaver` (from `@langchain/langgraph-checkpoint`, what `@langchain/langgraph` re-exports). */
import { MemorySaver } from '@langchain/langgraph-checkpoint';
import { peerSession } from './fixtures.js';
import { LANGGRAPH_CALLS, langgraphCalls } from './langgraph-calls.js';
import type { Peer } from './types.js';

export const langgraphMemory: Peer = {
  backend: 'memory',
  label: 'LangGraph MemorySaver (checkpoint 1.2.2)',
  slug: 'langgraph',
  calls: {
    create: `${LANGGRAPH_CALLS.create}: serialized into a Map`,
    load: `${LANGGRAPH_CALLS.load}: deserialized`,
    update: LANGGRAPH_CALLS.update,
  },
  open: async ({ maxConcurrency }) => {
    const saver = new MemorySaver();
    return peerSession(langgraphCalls(saver), maxConcurrency, async () => undefined);
  },
};
