import { join } from 'node:path';
import { describeTaskStore } from '@taskvault/conformance';
import { SqliteTaskStore } from '../src/index.js';
import { damageSqliteTask } from './damage.js';
import { tempDir } from './helpers.js';

// Every store of the suite opens its own connection to one file, so namespace isolation is tested
// for real: the namespaces live side by side in the same tables, as on a shared server.
const path = join(tempDir(), 'conformance.db');

describeTaskStore({
  name: 'sqlite',
  create: (options) => new SqliteTaskStore({ ...options, path }),
  damage: damageSqliteTask,
});
