import { postgresForTests } from '@taskvault/test-servers';
import { describeBackend } from './backend-suite.js';

describeBackend('postgres', async () => {
  const postgres = await postgresForTests();
  const url = await postgres.createDatabase();
  return {
    config: { backend: 'postgres', postgres: { connectionString: url } },
    env: { TASKVAULT_BACKEND: 'postgres', TASKVAULT_POSTGRES_URL: url },
    outage: postgres.external ? null : { stop: () => postgres.stop(), start: () => postgres.start() },
    destroy: () => postgres.destroy(),
  };
});
