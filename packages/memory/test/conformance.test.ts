import { describeTaskStore } from '@taskvault/conformance';
import { MemoryRegistry, MemoryTaskStore } from '../src/index.js';
import { damageMemoryTask } from './damage.js';

// The stores of the suite share one registry, so namespace isolation is tested for real:
// every namespace lives side by side in the same registry, as on a shared server.
const registry = new MemoryRegistry();

describeTaskStore({
  name: 'memory',
  create: (options) => new MemoryTaskStore({ ...options, registry }),
  damage: damageMemoryTask,
});
