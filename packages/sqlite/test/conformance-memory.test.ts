import { describeTaskStore } from '@taskvault/conformance';
import { SqliteTaskStore } from '../src/index.js';

// `:memory:`: each store has a private database of its own (no damage hook: nothing else can
// reach it, and two stores never share a namespace's tasks), and the same contract holds.
describeTaskStore({
  name: 'sqlite (:memory:)',
  create: (options) => new SqliteTaskStore({ ...options, path: ':memory:' }),
  destroy: (store) => store.close(),
  sharedNamespaces: false,
  numRuns: 20,
});
