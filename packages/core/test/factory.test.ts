import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
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
    expect(error.message).toContain('is not installed');
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
      'missing update, patch, delete, loadByRequestId, list, count, countActive, cleanup, clear, verify, restore, healthCheck, close',
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
