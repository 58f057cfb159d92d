// Checks what the test suite spawns — redis-server, PostgreSQL's server binaries, Chromium,
// openssl — and what building better-sqlite3 needs (python3, make, g++; ccache if it can be had)
// before any install or test runs. What is missing is installed with apt-get when this runs as
// root on Debian (saying what and why); otherwise it stops at once with the one command to run.
// `pnpm test` and CI both call it, so the README's test command and CI cannot drift apart.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What the tests need: how to tell it is there, the Debian package, and who needs it. */
const NEEDS = [
  { what: 'redis-server', found: () => onPath('redis-server'), apt: 'redis-server', for: 'Redis tests' },
  { what: 'PostgreSQL server binaries', found: postgresBinaries, apt: 'postgresql', for: 'PostgreSQL tests' },
  {
    what: 'Chromium',
    found: () => existsSync('/usr/bin/chromium'),
    apt: 'chromium',
    for: "the demo page's browser test",
  },
  { what: 'openssl', found: () => onPath('openssl'), apt: 'openssl', for: 'Redis TLS tests' },
  // better-sqlite3 compiles SQLite when no prebuilt binary can be downloaded for this Node
  // (offline machines, and every npm install of the pack-and-install test on other Node versions)
  {
    what: 'python3',
    found: () => onPath('python3'),
    apt: 'python3',
    for: 'building better-sqlite3 (node-gyp)',
  },
  { what: 'make', found: () => onPath('make'), apt: 'make', for: 'building better-sqlite3 (node-gyp)' },
  { what: 'g++', found: () => onPath('g++'), apt: 'g++', for: 'building better-sqlite3 (node-gyp)' },
  // Not required: with it, the pack-and-install test compiles SQLite once instead of once per
  // Node version (a minute or more of CI each). Installed along when apt-get runs anyway.
  {
    what: 'ccache',
    found: () => onPath('ccache'),
    apt: 'ccache',
    for: 'compiling better-sqlite3 once per test run (optional)',
    optional: true,
  },
];

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

function postgresBinaries() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin', 'initdb'))))
    return true;
  return onPath('initdb') && onPath('pg_ctl');
}

const missing = NEEDS.filter((need) => !need.found());
const required = missing.filter((need) => !need.optional);
if (missing.length === 0) process.exit(0);

const packages = missing.map((m) => m.apt);
const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
const list = missing.map((m) => `  ${m.what} (Debian package ${m.apt}), for ${m.for}`).join('\n');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

if (!isRoot || !onPath('apt-get')) {
  if (required.length === 0) process.exit(0); // only optional ones are missing: fine as it is
  process.stderr.write(
    `The tests need what this machine lacks:\n${list}\nInstall it, then run the tests again:\n  ${isRoot ? '' : 'sudo '}${command.replace('&& apt-get', `&& ${isRoot ? '' : 'sudo '}apt-get`)}\n`,
  );
  process.exit(1);
}

process.stdout.write(`Installing what the tests need:\n${list}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', '--no-install-recommends', ...packages],
]) {
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (run.status !== 0 && required.length === 0) {
    process.stderr.write(
      `apt-get ${args[0]} failed (exit ${run.status}); going on without ${packages.join(' ')}\n`,
    );
    process.exit(0);
  }
  if (run.status !== 0) {
    process.stderr.write(`apt-get ${args[0]} failed (exit ${run.status}); run it by hand:\n  ${command}\n`);
    process.exit(1);
  }
}
const still = NEEDS.filter((need) => !need.optional && !need.found());
if (still.length > 0) {
  process.stderr.write(`Still missing after apt-get: ${still.map((m) => m.what).join(', ')}\n`);
  process.exit(1);
}
process.stdout.write('Installed.\n');
