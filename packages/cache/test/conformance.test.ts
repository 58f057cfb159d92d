import { withCache } from '@taskvault/cache';
import { describeTaskStore } from '@taskvault/conformance';
import { MemoryRegistry, MemoryTaskStore } from '@taskvault/memory';

// One registry for the suite's stores, as the memory package's own run does: two stores on one
// namespace share its tasks, each behind its own cache.
const registry = new MemoryRegistry();

describeTaskStore({
  name: 'cache over memory',
  create: (options) => withCache(new MemoryTaskStore({ ...options, registry })),
  cachedReads: true,
});
