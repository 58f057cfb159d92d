import { withCache } from '@taskvault/cache';
import { describeTaskStore } from '@taskvault/conformance';
import { PostgresTaskStore } from '@taskvault/postgres';
import { type PostgresServerHandle, postgresForTests } from '@taskvault/test-servers';
import { afterAll, beforeAll } from 'vitest';

let server: PostgresServerHandle;
let url = '';
beforeAll(async () => {
  server = await postgresForTests();
  url = await server.createDatabase();
});
afterAll(async () => {
  await server?.destroy();
});

// No damage(): a record broken behind the store cannot be seen through a cache that holds it.
describeTaskStore({
  name: 'cache over postgres',
  create: (options) =>
    withCache(new PostgresTaskStore({ ...options, connectionString: url, sweepIntervalMs: 0 })),
  cachedReads: true,
});
