import fs from 'node:fs';
import path from 'node:path';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds an executable on PATH, then in the usual system dirs (PATH of a non-login root shell or a
 * CI runner may lack /usr/sbin or /usr/local/bin). Returns null when absent so callers can explain
 * how to install it.
 */
export function findExecutable(name: string): string | null {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    '/usr/local/bin',
    '/usr/bin',
    '/usr/local/sbin',
    '/usr/sbin',
  ];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

/** Compares dotted version strings numerically ("9.6" < "10" < "15"). */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The PostgreSQL server bin dir: Debian/Ubuntu keep initdb and postgres out of PATH under
 * /usr/lib/postgresql/<version>/bin, so prefer the highest version there; otherwise follow initdb
 * found on PATH (through symlinks, so that psql/pg_isready are taken from the same install).
 */
export function findPostgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(root);
  } catch {
    // not a Debian-style layout
  }
  versions.sort(compareVersions).reverse();
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (isExecutable(path.join(bin, 'initdb')) && isExecutable(path.join(bin, 'postgres'))) return bin;
  }
  const initdb = findExecutable('initdb');
  if (initdb === null) return null;
  const bin = path.dirname(fs.realpathSync(initdb));
  return isExecutable(path.join(bin, 'postgres')) ? bin : null;
}

/** A client tool (psql, pg_isready) from the server's bin dir when there is one, else from PATH. */
export function findPostgresTool(name: string, binDir: string | null = findPostgresBinDir()): string | null {
  if (binDir !== null && isExecutable(path.join(binDir, name))) return path.join(binDir, name);
  return findExecutable(name);
}
