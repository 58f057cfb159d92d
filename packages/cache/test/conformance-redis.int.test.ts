import { withCache } from '@taskvault/cache';
import { describeTaskStore } from '@taskvault/conformance';
import { RedisTaskStore } from '@taskvault/redis';
import { type RedisServerHandle, redisForTests } from '@taskvault/test-servers';
import { afterAll, beforeAll } from 'vitest';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await redisForTests();
});
afterAll(async () => {
  await server?.destroy();
});

// No damage(): a record broken behind the store cannot be seen through a cache that holds it.
describeTaskStore({
  name: 'cache over redis (single node)',
  create: (options) => withCache(new RedisTaskStore({ url: server.url, ...options })),
  cachedReads: true,
});
