/** Every command through the built `taskvault` bin in a child process. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { taskToLine } from '../src/index.js';
import { makeTasks, spawnCli } from './helpers.js';

const COMMANDS = [
  ['export'],
  ['import'],
  ['copy'],
  ['import-legacy'],
  ['import-legacy', 'teal-redis'],
  ['import-legacy', 'lybic-postgres'],
  ['stats'],
  ['verify'],
  ['cleanup'],
  ['migrate'],
];

const dir = mkdtempSync(join(tmpdir(), 'taskvault-cli-'));

describe('taskvault (spawned)', () => {
  it('--help of the program and of every command exits 0 and describes it', async () => {
    const top = await spawnCli(['--help']);
    expect(top.code).toBe(0);
    for (const [name] of COMMANDS) expect(top.stdout).toContain(name);
    for (const args of COMMANDS) {
      const r = await spawnCli([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: taskvault ${args.join(' ')}`);
    }
  });

  it('wrong usage exits 2 with one line naming the problem', async () => {
    for (const args of [
      ['frobnicate'],
      ['export', '--nope'],
      ['export', '--backend', 'mongodb'],
      ['export', '--status', 'done'],
      ['import', '--on-conflict', 'merge'],
      ['copy', '--from', 'redis://127.0.0.1:1'], // --to is required
      ['cleanup'],
      ['cleanup', '--older-than', 'a while', '--backend', 'memory'],
      ['export', '--url', 'mysql://h/db'],
      ['import', '--batch-size', '0'],
      ['copy', '--from', 'redis://127.0.0.1:1', '--to', 'redis://127.0.0.1:1'],
    ]) {
      const r = await spawnCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(/^taskvault: USAGE: /);
    }
    expect((await spawnCli([])).code).toBe(2);
  });

  it('import reads NDJSON from stdin or a file and reports what it restored (--json)', async () => {
    const tasks = makeTasks(25);
    const text = tasks.map((t) => `${taskToLine(t)}\n`).join('');
    const viaStdin = await spawnCli(['import', '--to', 'memory:', '--json'], { input: text });
    expect(viaStdin.code).toBe(0);
    expect(JSON.parse(viaStdin.stdout)).toMatchObject({
      command: 'import',
      backend: 'memory',
      restored: 25,
      lines: 25,
    });
    const file = join(dir, 'tasks.ndjson');
    writeFileSync(file, text);
    const viaFile = await spawnCli(['import', file, '--backend', 'memory']);
    expect(viaFile.code).toBe(0);
    expect(viaFile.stdout).toMatch(/imported 25 lines .*restored 25, replaced 0, skipped 0, expired 0/);
    // progress stays quiet when stderr is not a terminal
    expect(viaFile.stderr).toBe('');
  });

  it('a bad line exits 1 with its line number and the field at fault', async () => {
    const lines = makeTasks(3).map(taskToLine);
    lines[2] = lines[2]!.replace('"status":"paused"', '"status":"sleeping"');
    const r = await spawnCli(['import', '--to', 'memory:'], { input: `${lines.join('\n')}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^taskvault: INVALID_INPUT: line 3: status: must be one of .*"sleeping"; nothing of that line was written/,
    );
  });

  it('a file that cannot be read is IO_ERROR (exit 1)', async () => {
    const r = await spawnCli(['import', join(dir, 'nowhere.ndjson'), '--to', 'memory:']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^taskvault: IO_ERROR: ENOENT: no such file or directory/);
  });

  it('export writes NDJSON to stdout or --out, with its summary on stderr or stdout', async () => {
    const empty = await spawnCli(['export', '--from', 'memory:', '--json']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('');
    expect(JSON.parse(empty.stderr)).toMatchObject({ command: 'export', exported: 0 });
    const out = join(dir, 'out.ndjson');
    const toFile = await spawnCli([
      'export',
      '--backend',
      'memory',
      '--out',
      out,
      '--status',
      'running',
      '--json',
    ]);
    expect(toFile.code).toBe(0);
    expect(JSON.parse(toFile.stdout)).toMatchObject({ exported: 0 });
    expect(readFileSync(out, 'utf8')).toBe('');
  });

  it('copy refuses the memory backend, which cannot outlive one process', async () => {
    const r = await spawnCli(['copy', '--from', 'memory:', '--to', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/taskvault: USAGE: the source is the memory backend/);
  });

  it('stats, verify and cleanup answer on an empty memory store (--json)', async () => {
    const stats = await spawnCli(['stats', '--backend', 'memory', '--json']);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toEqual({
      command: 'stats',
      backend: 'memory',
      total: 0,
      active: 0,
      byStatus: { pending: 0, running: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 },
    });
    const verify = await spawnCli(['verify', '--url', 'memory:', '--json']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({
      command: 'verify',
      ok: true,
      checked: 0,
      problemCount: 0,
    });
    const repair = await spawnCli(['verify', '--url', 'memory:', '--repair']);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toMatch(/checked 0 tasks .*0 problem\(s\), 0 repaired/);
    const cleanup = await spawnCli([
      'cleanup',
      '--backend',
      'memory',
      '--older-than',
      '30d',
      '--include-active',
      '--json',
    ]);
    expect(cleanup.code).toBe(0);
    expect(JSON.parse(cleanup.stdout)).toMatchObject({
      command: 'cleanup',
      removed: 0,
      olderThanMs: 30 * 86_400_000,
    });
  });

  it('migrate on a backend without a schema is a usage error', async () => {
    const r = await spawnCli(['migrate', '--backend', 'memory']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/taskvault: USAGE: the memory backend has no schema to migrate/);
  });

  it('the configuration comes from TASKVAULT_* variables when no flag is given, and flags win', async () => {
    const fromEnv = await spawnCli(['stats', '--json'], {
      env: { TASKVAULT_BACKEND: 'memory', TASKVAULT_NAMESPACE: 'x' },
    });
    expect(fromEnv.code).toBe(0);
    const badEnv = await spawnCli(['stats'], { env: { TASKVAULT_BACKEND: 'cassandra' } });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toMatch(
      /^taskvault: CONFIG_INVALID: TASKVAULT_BACKEND: unknown backend "cassandra"/,
    );
    const flagWins = await spawnCli(['stats', '--backend', 'memory', '--json'], {
      env: { TASKVAULT_BACKEND: 'cassandra' },
    });
    expect(flagWins.code).toBe(0);
  });

  it('TASKVAULT_FALLBACK=memory never swaps the store a command names for an empty one', async () => {
    const r = await spawnCli(['export', '--from', 'redis://127.0.0.1:1', '--json'], {
      env: { TASKVAULT_FALLBACK: 'memory' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^taskvault: BACKEND_UNAVAILABLE: /);
    expect(r.stdout).toBe('');
  });

  it('a failure never prints a password or the full URL', async () => {
    const r = await spawnCli(['stats', '--url', 'redis://admin:hunter2@127.0.0.1:1/3?tls=no']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^taskvault: BACKEND_UNAVAILABLE: /);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toContain('admin');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const pg = await spawnCli(['stats', '--postgres-url', 'postgres://bob:s3cret@127.0.0.1:1/db', '--json']);
    expect(pg.code).toBe(1);
    expect(pg.stderr).not.toContain('s3cret');
  });

  it('--version prints the package version', async () => {
    const r = await spawnCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
