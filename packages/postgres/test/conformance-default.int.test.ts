/** The conformance suite on the default schema (public) and table prefix (taskvault_). */
import { describeTaskStore } from '@taskvault/conformance';
import { beforeAll } from 'vitest';
import { PostgresTaskStore } from '../src/index.js';
import { useServer } from './helpers.js';

const server = useServer();
let url = '';
beforeAll(async () => {
  url = await server().createDatabase();
});

describeTaskStore({
  name: 'postgres (schema public, prefix taskvault_)',
  create: (options) => new PostgresTaskStore({ ...options, connectionString: url, sweepIntervalMs: 0 }),
});
