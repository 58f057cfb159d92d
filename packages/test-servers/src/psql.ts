import { randomBytes } from 'node:crypto';
import { findPostgresTool } from './binaries.js';
import { serverUnavailableHint } from './hints.js';
import { run } from './process.js';

/**
 * SQL goes through the psql binary rather than an npm driver: this package must not depend on `pg`,
 * whose behaviour the Postgres adapter's tests are checking, and psql ships with the server.
 */
export function requirePsql(binDir: string | null): string {
  const psql = findPostgresTool('psql', binDir);
  if (psql === null) throw new Error(`psql was not found. ${serverUnavailableHint('postgres')}`);
  return psql;
}

/**
 * Runs SQL with psql against a connection URL and returns its unaligned, tuples-only output
 * (`select 1` -> "1"). Rejects with psql's error text on failure.
 */
export async function runPsql(psql: string, url: string, sql: string, timeoutMs = 30_000): Promise<string> {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql];
  // a frozen or dead server must fail the call, not hang it
  const env = { ...process.env, PGCONNECT_TIMEOUT: process.env.PGCONNECT_TIMEOUT ?? '10' };
  const result = await run(psql, args, { env, timeoutMs });
  if (result.code !== 0) {
    throw new Error(
      `psql failed (exit ${result.code}) running ${JSON.stringify(sql)}: ${result.stderr.trim()}`,
    );
  }
  return result.stdout.trim();
}

/** Database names this package creates or accepts: plain identifiers, so quoting is enough. */
export function checkDatabaseName(name: string | undefined): string {
  const chosen = name ?? `taskvault_${randomBytes(6).toString('hex')}`;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(chosen)) {
    throw new Error(
      `createDatabase: ${JSON.stringify(chosen)} is not a plain identifier (letters, digits, _; at most 63)`,
    );
  }
  return chosen;
}

/** The same server URL with another database (keeps credentials and query options like sslmode). */
export function urlForDatabase(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
