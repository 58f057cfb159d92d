/**
 * Tests whose child processes or workers run the built package (dist) call this first: it builds
 * the package when dist is missing or older than any source file, so a child never runs stale code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the package (tsup) unless dist/index.js is newer than every file under src. */
export function buildIfStale(): void {
  const entry = join(root, 'dist', 'index.js');
  const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const src = join(root, 'src');
  const stale = readdirSync(src, { recursive: true, encoding: 'utf8' }).some(
    (file) => statSync(join(src, file)).mtimeMs > builtAt,
  );
  if (stale) execFileSync('pnpm', ['exec', 'tsup'], { cwd: root, stdio: 'ignore' });
}
