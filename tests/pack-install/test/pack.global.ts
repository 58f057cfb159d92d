/**
 * Packs each published package once, before any scenario file runs, and hands the tarballs'
 * paths to the files (vitest's provide/inject): the scenarios then install side by side, each in
 * its own worker, since they mostly wait on the registry or on a compiler.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { PUBLISHED, workspace } from './support/paths.js';

const run = promisify(execFile);

export default async function packAll(project: TestProject): Promise<() => void> {
  const packDir = mkdtempSync(join(tmpdir(), 'taskvault-packs-'));
  const tarballs: Record<string, string> = {};
  const rows: string[] = [];
  // one `pnpm pack` per package, all at once: each is a short process mostly reading files
  await Promise.all(
    PUBLISHED.map(async (name) => {
      const dir = join(workspace, 'packages', name);
      await run('pnpm', ['pack', '--pack-destination', packDir], { cwd: dir, timeout: 180_000 });
    }),
  );
  for (const name of PUBLISHED) {
    const file = readdirSync(packDir).find(
      (f) => f.startsWith(`taskvault-${name}-`) && /^\d/.test(f.slice(`taskvault-${name}-`.length)),
    );
    if (!file) throw new Error(`pnpm pack left no tarball for @taskvault/${name} in ${packDir}`);
    tarballs[name] = join(packDir, file);
    rows.push(`@taskvault/${name}: ${(statSync(tarballs[name]).size / 1024).toFixed(1)} KiB packed`);
  }
  console.log(rows.join('\n'));
  project.provide('tarballs', tarballs);
  return () => rmSync(packDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Published package name (`core`, `redis`, ...) → the path of its packed tarball. */
    tarballs: Record<string, string>;
  }
}
