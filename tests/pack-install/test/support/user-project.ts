/**
 * A user's project outside the workspace: an empty directory where npm alone installs our
 * tarballs (and whatever else a scenario names), and the commands a user would run in it.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, type PostgresServerHandle, postgresForTests } from '@taskvault/test-servers';
import { afterAll, inject } from 'vitest';
import { fixtures, type Published, tsc, workspace } from './paths.js';

const run = promisify(execFile);
const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a command; on failure the error holds its last 40 lines of output and says whether it was
 * killed for taking too long.
 */
export async function sh(
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
export const NPM_NETWORK = [
  '--fetch-timeout=30000',
  '--fetch-retries=4',
  '--fetch-retry-mintimeout=1000',
  '--fetch-retry-maxtimeout=10000',
  '--loglevel=http',
];

/** The install prefix of the Node running this test: its bin/node and include/node headers. */
export function runningNodeDir(): string {
  return resolve(dirname(process.execPath), '..');
}

/** Where compiled objects are kept between the test's runs on each Node version (see below). */
export const COMPILER_CACHE_DIR = join(tmpdir(), 'taskvault-ccache');

/**
 * Environment that makes node-gyp's compiles go through ccache, when the machine has it (CI
 * installs it; see scripts/test-prerequisites.mjs): SQLite's amalgamation is ~80 % of compiling
 * better-sqlite3 and does not include Node's headers, so after the first compile (the workspace
 * install's, in CI) every Node version's build takes it from the cache; only the binding is
 * compiled again against that version's headers. npm still runs the build from source: the
 * cache only skips compiler runs whose preprocessed input is the same. Paths are hashed relative
 * (`CCACHE_BASEDIR`), so projects in different directories share it. Empty without ccache.
 */
export function compilerCacheEnv(): Record<string, string> {
  const ccache = findExecutable('ccache');
  if (ccache === null) return {};
  return {
    CC: `${ccache} cc`,
    CXX: `${ccache} g++`,
    CCACHE_DIR: COMPILER_CACHE_DIR,
    CCACHE_BASEDIR: '/',
    CCACHE_NOHASHDIR: 'true',
  };
}

/** The packed tarball of one of our packages (packed once for all files by pack.global.ts). */
export function tarball(name: Published): string {
  const path = inject('tarballs')[name];
  if (!path) throw new Error(`no tarball of @taskvault/${name}: is it in PUBLISHED?`);
  return path;
}

/**
 * A user's empty project with core, `packages` (ours, from the tarballs) and `extra` (registry
 * specs) installed by npm alone.
 */
export async function npmInstall(
  label: string,
  packages: Published[],
  options: { extra?: string[]; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `taskvault-user-${label}-`));
  scratchDirs.push(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'user-app', private: true, version: '1.0.0' }),
  );
  const files = (['core', ...packages] as Published[]).map(tarball);
  await sh(
    'npm',
    ['install', '--no-audit', '--no-fund', ...NPM_NETWORK, ...files, ...(options.extra ?? [])],
    dir,
    options.timeoutMs ?? 220_000,
    options.env,
  );
  return dir;
}

/** Copies fixture files into a user project, under their own names or `{ from: to }`. */
export function copyFixtures(dir: string, files: Array<string | Record<string, string>>): void {
  for (const entry of files) {
    const pairs = typeof entry === 'string' ? [[entry, entry]] : Object.entries(entry);
    for (const [from, to] of pairs) cpSync(join(fixtures, from!), join(dir, to!));
  }
}

/** A project with core and one backend, and the ESM, CommonJS and TypeScript checks of it. */
export async function backendProject(
  adapter: 'redis' | 'postgres' | 'sqlite',
  options: Parameters<typeof npmInstall>[2] & { with?: Published[] } = {},
): Promise<string> {
  const dir = await npmInstall(adapter, [adapter, ...(options.with ?? [])], options);
  copyFixtures(dir, ['check.mjs', 'check.cjs', `check-${adapter}.ts`]);
  return dir;
}

/** Writes a tsconfig that checks one file, our .d.ts files included (skipLibCheck false). */
export function writeTsconfig(
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

/** Runs tsc on a project's tsconfig file. */
export function runTsc(dir: string, tsconfig: string): Promise<string> {
  return sh('node', [tsc, '-p', tsconfig], dir);
}

/** Type-checks `check-<adapter>.ts` under module node16 and bundler. */
export async function typecheckBoth(dir: string, adapter: string): Promise<void> {
  writeTsconfig(dir, 'tsconfig.node16.json', 'node16', 'node16', `check-${adapter}.ts`);
  writeTsconfig(dir, 'tsconfig.bundler.json', 'esnext', 'bundler', `check-${adapter}.ts`);
  await Promise.all([runTsc(dir, 'tsconfig.node16.json'), runTsc(dir, 'tsconfig.bundler.json')]);
}

/**
 * Why type checks are skipped in this run, or undefined to run them. tsc's result depends on the
 * installed files and the compiler, not on the Node running it: the other Node versions' runs
 * (scripts/test-on-node.mjs) install the same tarballs, so the machine's own run checks types once.
 */
export const typesCheckedElsewhere: string | undefined = process.env.TASKVAULT_TEST_NODE_MAJOR
  ? `type-checked in the run on the machine's own Node; tsc's verdict does not depend on the Node running it (this run: Node ${process.env.TASKVAULT_TEST_NODE_MAJOR})`
  : undefined;

export function installed(dir: string, name: string): boolean {
  return existsSync(join(dir, 'node_modules', name, 'package.json'));
}

/** The package.json of an installed package. */
export function packageManifest(
  dir: string,
  name: string,
): { version: string; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'));
}

export function installedVersion(dir: string, name: string): string {
  return packageManifest(dir, name).version;
}

/** The range a published package of ours declares for a dependency. */
export function declaredRange(pkg: Published, dep: string): string {
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
export async function newestWithin(name: string, range: string, dir: string): Promise<string> {
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

/** A throwaway PostgreSQL server (or the one TASKVAULT_TEST_POSTGRES_URL names) and a fresh database on it. */
export async function postgresDatabase(): Promise<{ server: PostgresServerHandle; url: string }> {
  const server = await postgresForTests();
  return { server, url: await server.createDatabase() };
}
