import { redisForTests } from '@taskvault/test-servers';
import { describeBackend } from './backend-suite.js';

describeBackend('redis', async () => {
  // appendfsync always: what a resolved write promised survives the outage test's restart
  const redis = await redisForTests({ appendOnly: true });
  return {
    config: { backend: 'redis', redis: { url: redis.url } },
    env: { TASKVAULT_BACKEND: 'redis', TASKVAULT_REDIS_URL: redis.url },
    outage: redis.external ? null : { stop: () => redis.stop(), start: () => redis.start() },
    destroy: () => redis.destroy(),
  };
});
