import { describeTaskStore } from '@taskvault/conformance';
import { type RedisServerHandle, redisForTests } from '@taskvault/test-servers';
import { afterAll, beforeAll } from 'vitest';
import { RedisTaskStore } from '../src/index.js';
import { damageRedisTask } from './support/damage.js';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await redisForTests();
});
afterAll(async () => {
  await server?.destroy();
});

describeTaskStore({
  name: 'redis (single node)',
  create: (options) => new RedisTaskStore({ url: server.url, ...options }),
  damage: damageRedisTask,
});
