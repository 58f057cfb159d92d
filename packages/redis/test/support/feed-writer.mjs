// The writing process of the change-feed test (feed.int.test.ts): a store on the namespace that
// creates `count` tasks and patches each once (2 changes a task), printing `done` at the end.
// It runs the built package (dist).
// argv: url namespace shards count prefix
import { RedisTaskStore } from '../../dist/index.js';

const [url, namespace, shards, count, prefix] = process.argv.slice(2);
const store = new RedisTaskStore({ url, namespace, shards: Number(shards) });
const n = Number(count);
await Promise.all(
  Array.from({ length: 8 }, async (_, w) => {
    for (let i = w; i < n; i += 8) {
      const taskId = `${prefix}-${i}`;
      await store.create({ taskId, status: 'pending' });
      await store.patch(taskId, { status: 'running' });
    }
  }),
);
await store.close();
process.stdout.write('done\n');
