import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect, promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTaskStore,
  getTaskStore,
  resetTaskStore,
  TaskStoreConfigError,
  type TaskStoreError,
} from '../src/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const emptyDir = mkdtempSync(join(tmpdir(), 'taskvault-factory-'));
const coreDist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
const run = promisify(execFile);

async function rejection(promise: Promise<unknown>): Promise<TaskStoreError> {
  try {
    await promise;
  } catch (error) {
    return error as TaskStoreError;
  }
  throw new Error('expected a rejection');
}

describe('createTaskStore with a custom backend', () => {
  it('builds a class export with the resolved config injected', async () => {
    const store = (await createTaskStore(
      {},
      {
        env: {
          TASKVAULT_MODULE: './custom-class.mjs',
          TASKVAULT_EXPORT: 'ListStore',
          TASKVAULT_NAMESPACE: 'ns1',
          TASKVAULT_TTL: '2h',
        },
        cwd: fixtures,
      },
    )) as unknown as { backend: string; config: { namespace: string; ttlMs: number; backend: string } };
    expect(store.backend).toBe('list');
    expect(store.config.namespace).toBe('ns1');
    expect(store.config.ttlMs).toBe(7_200_000);
    expect(store.config.backend).toBe('custom');
  });

  it('calls a factory-function export', async () => {
    const store = await createTaskStore({
      custom: { module: join(fixtures, 'custom-factory.mjs'), export: 'makeStore' },
    });
    expect(store.backend).toBe('factory-made');
    await expect(store.healthCheck()).resolves.toMatchObject({ ok: true });
  });

  it('uses the default export when no export is named, and gives it Symbol.asyncDispose', async () => {
    const store = await createTaskStore(
      {},
      { env: { TA_PERSISTENCE_MODULE: './custom-class.mjs' }, cwd: fixtures },
    );
    expect(typeof store[Symbol.asyncDispose]).toBe('function');
  });

  it('names a missing module and where relative paths resolve', async () => {
    const error = await rejection(
      createTaskStore({}, { env: { TASKVAULT_MODULE: './nope.mjs' }, cwd: fixtures }),
    );
    expect(error).toBeInstanceOf(TaskStoreConfigError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe('TASKVAULT_MODULE');
    expect(error.message).toContain('"./nope.mjs" not found');
    expect(error.message).toContain(fixtures);
  });

  it('names a missing package', async () => {
    const error = await rejection(
      createTaskStore(
        {},
        { env: { TASKVAULT_MODULE: 'taskvault-store-that-does-not-exist' }, cwd: emptyDir },
      ),
    );
    expect(error.path).toBe('TASKVAULT_MODULE');
    expect(error.message).toContain(
      `"taskvault-store-that-does-not-exist" is neither a file under ${emptyDir} nor an installed package`,
    );
  });

  it('names a missing export and lists what the module has', async () => {
    const error = await rejection(
      createTaskStore(
        {},
        { env: { TA_PERSISTENCE_MODULE: './custom-class.mjs', TA_PERSISTENCE_CLASS: 'Nope' }, cwd: fixtures },
      ),
    );
    expect(error.path).toBe('TA_PERSISTENCE_CLASS');
    expect(error.message).toContain('has no export "Nope"; it exports: ListStore, default');
  });

  it('lists the methods an incomplete backend is missing', async () => {
    const error = await rejection(
      createTaskStore({}, { env: { TASKVAULT_MODULE: './custom-incomplete.mjs' }, cwd: fixtures }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(
      'missing update, patch, delete, loadByRequestId, list, count, countActive, cleanup, clear, verify, restore, watch, healthCheck, close',
    );
  });

  it('reports a module that throws while loading', async () => {
    const error = await rejection(
      createTaskStore({}, { env: { TASKVAULT_MODULE: './custom-throws.mjs' }, cwd: fixtures }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('failed to load: boom while loading');
  });
});

/** A store module that reports where it was loaded from as its backend name. */
function storeModule(backend: string): string {
  return `import { ListStore } from ${JSON.stringify(pathToFileURL(join(fixtures, 'custom-class.mjs')).href)};
export default class extends ListStore { constructor(c) { super(c); this.backend = ${JSON.stringify(backend)}; } }
`;
}

/** A directory with `my-store.mjs` installed as a package, and optionally a file of that name. */
function appDirectory(withFile: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskvault-app-'));
  const pkg = join(dir, 'node_modules', 'my-store.mjs');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'my-store.mjs', type: 'module', main: 'index.mjs' }),
  );
  writeFileSync(join(pkg, 'index.mjs'), storeModule('from-package'));
  if (withFile) writeFileSync(join(dir, 'my-store.mjs'), storeModule('from-file'));
  return dir;
}

describe('createTaskStore finds a module written the way the source systems write it', () => {
  it('reads a relative path without ./ (TA_PERSISTENCE_MODULE=fixtures/custom-class.mjs) as a file', async () => {
    const store = await createTaskStore(
      {},
      { env: { TA_PERSISTENCE_MODULE: 'fixtures/custom-class.mjs' }, cwd: dirname(fixtures) },
    );
    expect(store.backend).toBe('list');
  });

  it.each([
    ['a file under the current directory and a package: the file', true, 'from-file'],
    ['only a package: the package', false, 'from-package'],
  ])('takes a name without ./ that is %s', async (_case, withFile, backend) => {
    const store = await createTaskStore(
      {},
      { env: { TASKVAULT_MODULE: 'my-store.mjs' }, cwd: appDirectory(withFile) },
    );
    expect(store.backend).toBe(backend);
  });

  it('says both what it tried when the name is neither a file nor a package', async () => {
    const error = await rejection(
      createTaskStore({}, { env: { TA_PERSISTENCE_MODULE: 'custom/my_store.mjs' }, cwd: fixtures }),
    );
    expect(error.path).toBe('TA_PERSISTENCE_MODULE');
    expect(error.message).toBe(
      `TA_PERSISTENCE_MODULE: custom backend module "custom/my_store.mjs" is neither a file under ${fixtures} nor an installed package`,
    );
  });
});

const SECRETS = ['hunter2', 's3cretpw'];

/** Every text an error exposes: message, stack, each cause's, and what util.inspect prints. */
function everythingShown(error: unknown): string {
  const parts = [inspect(error, { depth: 20 }), inspect(error, { depth: 20, showHidden: true })];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '');
  return parts.join('\n');
}

describe('createTaskStore when a custom backend throws', () => {
  it.each([
    ['TASKVAULT_MODULE', 'TASKVAULT_EXPORT', 'ThrowingStore'],
    ['TASKVAULT_MODULE', 'TASKVAULT_EXPORT', 'throwingFactory'],
    ['TA_PERSISTENCE_MODULE', 'TA_PERSISTENCE_CLASS', 'rejectingFactory'],
  ])(
    'wraps it as CONFIG_INVALID naming %s, with a scrubbed cause (%s=%s)',
    async (moduleVar, exportVar, name) => {
      const error = await rejection(
        createTaskStore({}, { env: { [moduleVar]: './custom-leaky.mjs', [exportVar]: name }, cwd: fixtures }),
      );
      expect(error).toBeInstanceOf(TaskStoreConfigError);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.path).toBe(moduleVar);
      expect(error.message).toContain(`"${name}" of "./custom-leaky.mjs" threw while building the store`);
      expect(error.message).toContain('cannot connect to redis://host:6379');
      const cause = error.cause as Error;
      expect(cause.message).toBe('cannot connect to redis://host:6379');
      expect((cause.cause as Error).message).toBe('auth failed for postgres://db.internal:5432');
      const shown = everythingShown(error);
      for (const secret of SECRETS) expect(shown).not.toContain(secret);
    },
  );

  it('prints no password in the fallback warning, whether the build throws or the health check fails', async () => {
    for (const name of ['rejectingFactory', 'LeakyUnhealthyStore']) {
      const warnings: string[] = [];
      const built = createTaskStore(
        {},
        {
          env: {
            TASKVAULT_MODULE: './custom-leaky.mjs',
            TASKVAULT_EXPORT: name,
            TASKVAULT_FALLBACK: 'memory',
          },
          cwd: fixtures,
          warn: (m) => warnings.push(m),
        },
      );
      // Whether @taskvault/memory resolves from here does not matter: the warning comes first.
      const outcome = await built.then(
        () => 'built',
        (error: unknown) => everythingShown(error),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('IN MEMORY ONLY');
      expect(warnings[0]).toContain('redis://host:6379');
      for (const secret of SECRETS) {
        expect(warnings[0]).not.toContain(secret);
        expect(outcome).not.toContain(secret);
      }
    }
  });

  it('prints the notice about ignored Redis variables through the warn hook, scrubbed', async () => {
    const warnings: string[] = [];
    await createTaskStore(
      {},
      {
        env: { TASKVAULT_MODULE: './custom-class.mjs', TASKVAULT_BACKEND: 'custom' },
        cwd: fixtures,
        warn: (m) => warnings.push(m),
      },
    );
    expect(warnings).toEqual([]);
    await createTaskStore(
      {},
      {
        env: { TASKVAULT_REDIS_URL: 'redis://user:hunter2@cache:6379/0' },
        cwd: fixtures,
        warn: (m) => warnings.push(m),
      },
    ).catch(() => undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^\[taskvault\] WARNING: TASKVAULT_REDIS_URL is set but no backend is chosen/,
    );
    expect(warnings[0]).not.toContain('hunter2');
  });
});

/**
 * Runs the built core (dist) in a plain Node process whose directory has no node_modules, as
 * an application without the backend package would. (Inside vitest, Vite's resolver would find
 * the workspace's packages, so this must run outside it.)
 */
async function factoryOutsideWorkspace(
  env: Record<string, string>,
): Promise<{ message: string; name: string; path: string; warnings: string[] }> {
  const script = `
    const { createTaskStore } = await import(${JSON.stringify(pathToFileURL(coreDist).href)});
    const warnings = [];
    try {
      await createTaskStore({}, { env: ${JSON.stringify(env)}, warn: (m) => warnings.push(m) });
      console.log(JSON.stringify({ built: true }));
    } catch (e) {
      console.log(JSON.stringify({ message: e.message, name: e.name, path: e.path, warnings }));
    }`;
  // pnpm's shims set NODE_PATH to the workspace's hoisted packages; a user's app has no such thing.
  const { NODE_PATH: _ignored, ...cleanEnv } = process.env;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: emptyDir,
    env: cleanEnv,
  });
  return JSON.parse(stdout);
}

describe('createTaskStore with a built-in backend that is not installed', () => {
  it.each(['redis', 'postgres'] as const)('says to install @taskvault/%s', async (backend) => {
    const result = await factoryOutsideWorkspace({
      TASKVAULT_BACKEND: backend,
      TASKVAULT_POSTGRES_URL: 'postgres://u@127.0.0.1:1/db',
    });
    expect(result.name).toBe('TaskStoreConfigError');
    expect(result.path).toBe('TASKVAULT_BACKEND');
    expect(result.message).toContain(`npm install @taskvault/${backend}`);
  });

  it('falls back to memory only when asked, and says so when memory is missing too', async () => {
    const result = await factoryOutsideWorkspace({
      TASKVAULT_MODULE: join(fixtures, 'custom-unhealthy.mjs'),
      TASKVAULT_FALLBACK: 'memory',
    });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('IN MEMORY ONLY');
    expect(result.warnings[0]).toContain('connection refused');
    expect(result.path).toBe('TASKVAULT_FALLBACK');
    expect(result.message).toContain('npm install @taskvault/memory');
  });
});

describe('getTaskStore', () => {
  afterEach(async () => {
    await resetTaskStore();
    delete process.env.TASKVAULT_MODULE;
  });

  it('gives concurrent first callers the same instance', async () => {
    process.env.TASKVAULT_MODULE = join(fixtures, 'custom-class.mjs');
    const [a, b, c] = await Promise.all([getTaskStore(), getTaskStore(), getTaskStore()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it('does not cache a failed build, and replaces a closed store', async () => {
    process.env.TASKVAULT_MODULE = join(fixtures, 'nope.mjs');
    await expect(getTaskStore()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    process.env.TASKVAULT_MODULE = join(fixtures, 'custom-class.mjs');
    const first = await getTaskStore();
    await first.close();
    const second = await getTaskStore();
    expect(second).not.toBe(first);
  });
});
