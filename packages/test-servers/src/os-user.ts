import { execFileSync } from 'node:child_process';

export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * initdb and postgres refuse to run as root. When the tests run as root (containers, CI), the server
 * runs as the `postgres` OS user instead, which the Debian/Ubuntu `postgresql` package creates.
 * Returns null when no switch is needed.
 */
export function postgresRunAs(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid) && uid > 0) return { uid, gid };
  } catch {
    // fall through to the explanation below
  }
  throw new Error(
    'The tests run as root, and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run ' +
      'it as. `apt-get install -y postgresql` creates one (or `useradd --system postgres`), or run the tests ' +
      'as a non-root user, or set TASKVAULT_TEST_POSTGRES_URL=postgres://... to use a running server.',
  );
}
