import { describeTaskStore } from '@taskvault/conformance';
import { MemoryTaskStore } from '../src/index.js';
import { damageMemoryTask } from './damage.js';

// As most users build it: every store with its own private registry (the default).
describeTaskStore({
  name: 'memory (private registry)',
  create: (options) => new MemoryTaskStore(options),
  numRuns: 20,
  sharedNamespaces: false,
  damage: damageMemoryTask,
});
