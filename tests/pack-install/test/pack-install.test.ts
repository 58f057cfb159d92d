/**
 * Packs each published package and installs the core plus ONE adapter in a scratch directory
 * outside the workspace, with npm, as a user would; then runs ESM, CommonJS and TypeScript
 * (node16 and bundler) code against a real server, and checks nothing else came along.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type PostgresServerHandle,
  postgresForTests,
  type RedisServerHandle,
  redisForTests,
} from '@taskvault/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const workspace = resolve(here, '../../..');
const fixtures = join(here, '../fixtures');
const tsc = join(workspace, 'node_modules/typescript/bin/tsc');
const PUBLISHED = [
  'core',
  'memory',
  'redis',
  'postgres',
  'sqlite',
  'conformance',
  'openai-agents',
  'a2a',
  'cli',
] as const;
const tarballs: Record<string, string> = {};
const scratchDirs: string[] = [];

async function sh(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs = 180_000,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  try {
    // pnpm's shims put the workspace's hoisted packages on NODE_PATH; a user's shell has no such thing.
    const { NODE_PATH: _workspaceOnly, ...env } = process.env;
    const { stdout, stderr } = await run(cmd, args, {
      cwd,
      env: { ...env, ...extraEnv },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string; killed?: boolean };
    const output = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    const why = e.killed ? `did not finish in ${timeoutMs / 1000} s (killed)` : 'failed';
    throw new Error(`${cmd} ${args.join(' ')} ${why} in ${cwd}:\n${output || e.message}`);
  }
}

/**
 * npm's own network settings for the installs: its default waits up to 5 minutes on one stalled
 * registry request, longer than the test would; these give up on a request after 30 s and retry
 * it, and `http` logging puts each request in the error when an install still fails.
 */
const NPM_NETWORK = [
  '--fetch-timeout=30000',
  '--fetch-retries=4',
  '--fetch-retry-mintimeout=1000',
  '--fetch-retry-maxtimeout=10000',
  '--loglevel=http',
];

beforeAll(async () => {
  const packDir = mkdtempSync(join(tmpdir(), 'taskvault-packs-'));
  scratchDirs.push(packDir);
  const rows: string[] = [];
  for (const name of PUBLISHED) {
    const dir = join(workspace, 'packages', name);
    await sh('pnpm', ['pack', '--pack-destination', packDir], dir);
    const file = readdirSync(packDir).find((f) => f.startsWith(`taskvault-${name}-`) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack left no tarball for ${name}`);
    tarballs[name] = join(packDir, file);
    rows.push(`@taskvault/${name}: ${(statSync(tarballs[name]).size / 1024).toFixed(1)} KiB packed`);
  }
  console.log(rows.join('\n'));
}, 240_000);

afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** The install prefix of the Node running this test: its bin/node and include/node headers. */
function runningNodeDir(): string {
  return resolve(dirname(process.execPath), '..');
}

/** A user's empty project with core and `packages` installed from our tarballs by npm alone. */
async function npmInstall(
  label: string,
  packages: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `taskvault-user-${label}-`));
  scratchDirs.push(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'user-app', private: true, version: '1.0.0' }),
  );
  const files = ['core', ...packages].map((name) => tarballs[name]!);
  await sh(
    'npm',
    ['install', '--no-audit', '--no-fund', ...NPM_NETWORK, ...files],
    dir,
    options.timeoutMs ?? 220_000,
    options.env,
  );
  return dir;
}

async function scratchInstall(
  adapter: 'redis' | 'postgres' | 'sqlite',
  options?: Parameters<typeof npmInstall>[2],
): Promise<string> {
  const dir = await npmInstall(adapter, [adapter], options);
  for (const f of ['check.mjs', 'check.cjs', `check-${adapter}.ts`]) cpSync(join(fixtures, f), join(dir, f));
  return dir;
}

function writeTsconfig(
  dir: string,
  name: string,
  module: string,
  moduleResolution: string,
  file: string,
): void {
  writeFileSync(
    join(dir, name),
    JSON.stringify({
      compilerOptions: {
        module,
        moduleResolution,
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(workspace, 'node_modules/@types')],
      },
      files: [file],
    }),
  );
}

async function typecheck(dir: string, adapter: string): Promise<void> {
  writeTsconfig(dir, 'tsconfig.node16.json', 'node16', 'node16', `check-${adapter}.ts`);
  writeTsconfig(dir, 'tsconfig.bundler.json', 'esnext', 'bundler', `check-${adapter}.ts`);
  await sh('node', [tsc, '-p', 'tsconfig.node16.json'], dir);
  await sh('node', [tsc, '-p', 'tsconfig.bundler.json'], dir);
}

function installed(dir: string, name: string): boolean {
  return existsSync(join(dir, 'node_modules', name, 'package.json'));
}

function installedVersion(dir: string, name: string): string {
  return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** The range a published package of ours declares for a dependency. */
function declaredRange(pkg: string, dep: string): string {
  const manifest = JSON.parse(readFileSync(join(workspace, 'packages', pkg, 'package.json'), 'utf8'));
  const range = manifest.dependencies?.[dep];
  if (!range) throw new Error(`@taskvault/${pkg} declares no dependency on ${dep}`);
  return range;
}

/**
 * The newest version the registry serves within a range: what `npm i` gives a user today.
 * Our lockfile pins our own build; this test installs what users get, so drift in a driver's
 * published files (types included) shows here first.
 */
async function newestWithin(name: string, range: string, dir: string): Promise<string> {
  const { stdout } = await run(
    'npm',
    ['view', `${name}@${range}`, 'version', '--json', ...NPM_NETWORK.slice(0, -1)],
    { cwd: dir, timeout: 60_000 },
  );
  const parsed: string | string[] = JSON.parse(stdout.trim());
  // npm lists matching versions in publication order, not version order: take the highest.
  if (!Array.isArray(parsed)) return parsed;
  const key = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
  return parsed.reduce((best, v) => {
    const [a, b] = [key(v), key(best)];
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]! ? v : best;
    return best;
  });
}

describe('core + redis installed alone', () => {
  let redis: RedisServerHandle;
  let dir: string;
  beforeAll(async () => {
    redis = await redisForTests();
    dir = await scratchInstall('redis');
  }, 240_000);
  afterAll(async () => redis?.destroy());

  it('brings ioredis and nothing of postgres', () => {
    expect(installed(dir, 'ioredis')).toBe(true);
    expect(installed(dir, 'pg')).toBe(false);
    expect(installed(dir, 'kysely')).toBe(false);
    expect(installed(dir, '@taskvault/postgres')).toBe(false);
    expect(installed(dir, '@taskvault/memory')).toBe(false);
  });

  it('installs the newest ioredis within our range, with the types its .d.ts files import', async () => {
    const range = declaredRange('redis', 'ioredis');
    expect(installedVersion(dir, 'ioredis')).toBe(await newestWithin('ioredis', range, dir));
    // ioredis 6.1's public .d.ts files import 'redis-errors', typed only by @types/redis-errors.
    expect(installed(dir, '@types/redis-errors')).toBe(true);
  }, 60_000);

  it('works from an ESM script, and the factory says to install @taskvault/postgres', async () => {
    expect(await sh('node', ['check.mjs', 'redis', redis.url, 'postgres'], dir)).toContain('esm redis ok');
  }, 60_000);

  it('works from a CommonJS script', async () => {
    expect(await sh('node', ['check.cjs', 'redis', redis.url, 'postgres'], dir)).toContain('cjs redis ok');
  }, 60_000);

  it('type-checks under module node16 and bundler', async () => {
    await typecheck(dir, 'redis');
  }, 120_000);
});

describe('core + postgres installed alone', () => {
  let pg: PostgresServerHandle;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    pg = await postgresForTests();
    url = await pg.createDatabase();
    dir = await scratchInstall('postgres');
  }, 240_000);
  afterAll(async () => pg?.destroy());

  it('brings pg and kysely and nothing of redis', () => {
    expect(installed(dir, 'pg')).toBe(true);
    expect(installed(dir, 'kysely')).toBe(true);
    expect(installed(dir, 'ioredis')).toBe(false);
    expect(installed(dir, '@taskvault/redis')).toBe(false);
  });

  it('installs the newest pg and kysely within our ranges', async () => {
    for (const dep of ['pg', 'kysely']) {
      const range = declaredRange('postgres', dep);
      expect(installedVersion(dir, dep)).toBe(await newestWithin(dep, range, dir));
    }
  }, 60_000);

  it('works from an ESM script, and the factory says to install @taskvault/redis', async () => {
    expect(await sh('node', ['check.mjs', 'postgres', url, 'redis'], dir)).toContain('esm postgres ok');
  }, 60_000);

  it('works from a CommonJS script', async () => {
    expect(await sh('node', ['check.cjs', 'postgres', url, 'redis'], dir)).toContain('cjs postgres ok');
  }, 60_000);

  it('type-checks under module node16 and bundler', async () => {
    await typecheck(dir, 'postgres');
  }, 120_000);
});

describe('core + sqlite installed alone, better-sqlite3 built from source by npm', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    // No prebuilt binary: node-gyp compiles SQLite against the headers of the Node running this
    // test (its install prefix holds include/node), as on a machine the prebuilds do not cover or
    // that cannot download them. Named here because pnpm hands scripts the nodedir of the
    // user's npmrc (this machine's Node 20), whatever Node runs them.
    dir = await scratchInstall('sqlite', {
      timeoutMs: 600_000,
      env: { npm_config_build_from_source: 'true', npm_config_nodedir: runningNodeDir() },
    });
    file = join(dir, 'tasks.db');
  }, 660_000);

  it('brings better-sqlite3 with its native binding built, and nothing of redis or postgres', async () => {
    expect(installed(dir, 'better-sqlite3')).toBe(true);
    expect(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    for (const name of ['@taskvault/redis', '@taskvault/postgres', 'ioredis', 'pg']) {
      expect(installed(dir, name)).toBe(false);
    }
    const version =
      "console.log(new (require('better-sqlite3'))(':memory:').prepare('select sqlite_version() v').get().v)";
    expect(await sh('node', ['-e', version], dir)).toMatch(/^3\./);
  }, 60_000);

  it('installs the newest better-sqlite3 within our range', async () => {
    const range = declaredRange('sqlite', 'better-sqlite3');
    expect(installedVersion(dir, 'better-sqlite3')).toBe(await newestWithin('better-sqlite3', range, dir));
  }, 60_000);

  it('works from an ESM script, and the factory says to install @taskvault/postgres', async () => {
    expect(await sh('node', ['check.mjs', 'sqlite', file, 'postgres'], dir)).toContain('esm sqlite ok');
  }, 60_000);

  it('works from a CommonJS script', async () => {
    expect(await sh('node', ['check.cjs', 'sqlite', file, 'redis'], dir)).toContain('cjs sqlite ok');
  }, 60_000);

  it('type-checks under module node16 and bundler', async () => {
    await typecheck(dir, 'sqlite');
  }, 120_000);
});

describe('the taskvault command installed with core and postgres alone', () => {
  let pg: PostgresServerHandle;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    pg = await postgresForTests();
    url = await pg.createDatabase();
    dir = await npmInstall('cli', ['postgres', 'cli']);
  }, 240_000);
  afterAll(async () => pg?.destroy());

  const taskvault = (...args: string[]) => sh(join(dir, 'node_modules/.bin/taskvault'), args, dir);

  it('installs the bin with its parser and progress library, and no backend it was not asked for', async () => {
    expect(installed(dir, 'commander')).toBe(true);
    expect(installed(dir, 'cli-progress')).toBe(true);
    expect(installed(dir, '@taskvault/redis')).toBe(false);
    expect(installed(dir, 'ioredis')).toBe(false);
    expect(await taskvault('--help')).toContain('Usage: taskvault');
  }, 60_000);

  it('migrates and counts on PostgreSQL through the backend installed beside it', async () => {
    expect(await taskvault('migrate', '--url', url)).toMatch(/applied|up to date/);
    expect(JSON.parse(await taskvault('stats', '--url', url, '--json'))).toMatchObject({
      backend: 'postgres',
      total: 0,
    });
  }, 60_000);

  it('says which package to install for a backend or a legacy source that is missing', async () => {
    await expect(taskvault('stats', '--backend', 'redis')).rejects.toThrow(
      /taskvault: CONFIG_INVALID: .*npm install @taskvault\/redis/,
    );
    await expect(
      taskvault('import-legacy', 'teal-redis', 'redis://127.0.0.1:1', '--to', url),
    ).rejects.toThrow(/taskvault: DRIVER_MISSING: .*npm install ioredis/);
  }, 60_000);
});

describe('core + memory + openai-agents + the SDK installed alone', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskvault-user-openai-agents-'));
    scratchDirs.push(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'user-app', private: true, version: '1.0.0' }),
    );
    // 0.14 is the newest SDK line that runs on Node 20 (0.15+ need Node 22); the newest release is
    // checked under Node 24 in packages/openai-agents/test/newest-sdk.test.ts
    const tgz = ['core', 'memory', 'openai-agents'].map((name) => tarballs[name]!);
    await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', ...NPM_NETWORK, ...tgz, '@openai/agents-core@~0.14'],
      dir,
      220_000,
    );
    for (const f of ['check-openai-agents.mjs', 'check-openai-agents.ts'])
      cpSync(join(fixtures, f), join(dir, f));
  }, 240_000);

  it('brings the SDK and no backend driver', () => {
    expect(installedVersion(dir, '@openai/agents-core')).toMatch(/^0\.14\./);
    for (const name of ['@taskvault/redis', '@taskvault/postgres', 'ioredis', 'pg'])
      expect(installed(dir, name)).toBe(false);
  });

  it('runs the SDK with a TaskvaultSession from an ESM script', async () => {
    expect(await sh('node', ['check-openai-agents.mjs'], dir)).toContain('esm openai-agents ok');
  }, 60_000);

  it('loads from CommonJS too', async () => {
    const script =
      "const { TaskvaultSession } = require('@taskvault/openai-agents'); console.log(typeof TaskvaultSession);";
    expect(await sh('node', ['-e', script], dir)).toContain('function');
  }, 60_000);

  it('type-checks under module node16 and bundler (node16: errors only in the SDK’s MCP dependency)', async () => {
    writeTsconfig(dir, 'tsconfig.node16.json', 'node16', 'node16', 'check-openai-agents.ts');
    writeTsconfig(dir, 'tsconfig.bundler.json', 'esnext', 'bundler', 'check-openai-agents.ts');
    await sh('node', [tsc, '-p', 'tsconfig.bundler.json'], dir);
    // With skipLibCheck false, @openai/agents-core 0.14's dependency @modelcontextprotocol/sdk
    // fails node16 in its own CJS .d.ts (TS1541), whatever imports the SDK; ours must add nothing.
    const node16 = await sh('node', [tsc, '-p', 'tsconfig.node16.json'], dir).catch((e: Error) => e.message);
    const errors = node16.split('\n').filter((line) => /error TS\d+/.test(line));
    if (node16.includes(' failed in ')) expect(errors.length).toBeGreaterThan(0); // tsc failed by reporting errors
    expect(errors.filter((line) => !line.startsWith('node_modules/@modelcontextprotocol/'))).toStrictEqual(
      [],
    );
  }, 120_000);
});

describe('core + memory + a2a + the SDK installed alone', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskvault-user-a2a-'));
    scratchDirs.push(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'user-app', private: true, version: '1.0.0' }),
    );
    // the newest 1.x runs on Node 20 (its engines: node >= 20); express and the database drivers
    // are optional peers of the SDK, not needed for a task store
    const tgz = ['core', 'memory', 'a2a'].map((name) => tarballs[name]!);
    await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', ...NPM_NETWORK, ...tgz, '@a2a-js/sdk@^1'],
      dir,
      220_000,
    );
    for (const f of ['check-a2a.mjs', 'check-a2a.ts', 'check-a2a-cjs.cts'])
      cpSync(join(fixtures, f), join(dir, f));
    // the same code as an ES module for node16 (the SDK's declarations are ESM only)
    cpSync(join(fixtures, 'check-a2a.ts'), join(dir, 'check-a2a.mts'));
  }, 240_000);

  it('brings the SDK and no backend driver', () => {
    expect(installedVersion(dir, '@a2a-js/sdk')).toMatch(/^1\./);
    for (const name of ['@taskvault/redis', '@taskvault/postgres', 'ioredis', 'pg', 'express'])
      expect(installed(dir, name)).toBe(false);
  });

  it("runs the SDK's request handler on a TaskvaultA2ATaskStore from an ESM script", async () => {
    expect(await sh('node', ['check-a2a.mjs'], dir)).toContain('esm a2a ok');
  }, 60_000);

  it('loads from CommonJS too', async () => {
    const script =
      "const { TaskvaultA2ATaskStore } = require('@taskvault/a2a'); console.log(typeof TaskvaultA2ATaskStore);";
    expect(await sh('node', ['-e', script], dir)).toContain('function');
  }, 60_000);

  it('type-checks under module node16 (ESM and CommonJS) and bundler', async () => {
    writeTsconfig(dir, 'tsconfig.node16.json', 'node16', 'node16', 'check-a2a.mts');
    writeTsconfig(dir, 'tsconfig.node16-cjs.json', 'node16', 'node16', 'check-a2a-cjs.cts');
    writeTsconfig(dir, 'tsconfig.bundler.json', 'esnext', 'bundler', 'check-a2a.ts');
    await sh('node', [tsc, '-p', 'tsconfig.bundler.json'], dir);
    await sh('node', [tsc, '-p', 'tsconfig.node16.json'], dir);
    await sh('node', [tsc, '-p', 'tsconfig.node16-cjs.json'], dir);
  }, 180_000);
});

describe('core + memory + a2a + the oldest SDK of the peer range (1.0.1)', () => {
  it("runs the SDK's request handler on a TaskvaultA2ATaskStore", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskvault-user-a2a-oldest-'));
    scratchDirs.push(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'user-app', private: true, version: '1.0.0' }),
    );
    const tgz = ['core', 'memory', 'a2a'].map((name) => tarballs[name]!);
    await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', ...NPM_NETWORK, ...tgz, '@a2a-js/sdk@1.0.1'],
      dir,
      220_000,
    );
    expect(installedVersion(dir, '@a2a-js/sdk')).toBe('1.0.1');
    cpSync(join(fixtures, 'check-a2a.mjs'), join(dir, 'check-a2a.mjs'));
    expect(await sh('node', ['check-a2a.mjs'], dir)).toContain('esm a2a ok');
  }, 240_000);
});
