/**
 * Tests that start child processes run a package's built output (`dist/`), as users do: this
 * builds it first when it is missing or older than any source file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs `pnpm exec tsup` in `packageRoot` when `dist/index.js` is missing or older than the newest
 * file under `src/`. Synchronous; call it from a `beforeAll` with a long timeout.
 * @throws the build's error when it fails
 */
export function buildIfStale(packageRoot: string): void {
  const built = join(packageRoot, 'dist', 'index.js');
  const newest = Math.max(
    ...readdirSync(join(packageRoot, 'src'), { recursive: true }).map(
      (f) => statSync(join(packageRoot, 'src', String(f))).mtimeMs,
    ),
  );
  if (!existsSync(built) || statSync(built).mtimeMs < newest) {
    execFileSync('pnpm', ['exec', 'tsup'], { cwd: packageRoot, stdio: 'ignore' });
  }
}
