/** Makes sure dist/ matches src/ before a test runs the built CLI. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR } from '../src/open-store.js';

/** The built CLI. */
export const CLI = join(PACKAGE_DIR, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs the build when dist/cli.js is missing or older than any file under src/. */
export function ensureBuilt(): void {
  const src = join(PACKAGE_DIR, 'src');
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(src)) return;
  const tsup = join(PACKAGE_DIR, '..', '..', 'node_modules', '.bin', 'tsup');
  execFileSync(tsup, [], { cwd: PACKAGE_DIR, stdio: 'pipe' });
}
