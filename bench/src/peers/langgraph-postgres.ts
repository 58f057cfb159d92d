/** LangGraph's `PostgresSaver` on a database of its own, with a `pg.Pool` of the raw side's size. */
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import pg from 'pg';
import { peerSession } from './fixtures.js';
import { LANGGRAPH_CALLS, langgraphCalls } from './langgraph-calls.js';
import type { Peer } from './types.js';

export const langgraphPostgres: Peer = {
  backend: 'postgres',
  label: 'LangGraph PostgresSaver 1.0.5',
  slug: 'langgraph',
  calls: {
    create: `${LANGGRAPH_CALLS.create}: a transaction upserting the channel blob and the checkpoint row`,
    load: `${LANGGRAPH_CALLS.load}: one SELECT joining blobs and writes`,
    update: LANGGRAPH_CALLS.update,
  },
  open: async ({ url, maxConcurrency }) => {
    const pool = new pg.Pool({ connectionString: url!, max: maxConcurrency });
    const saver = new PostgresSaver(pool);
    try {
      await saver.setup();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return peerSession(langgraphCalls(saver), maxConcurrency, () => pool.end());
  },
};
