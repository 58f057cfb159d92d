import { findExecutable, findPostgresBinDir } from './binaries.js';

/** Environment variables that point the tests at servers someone else runs instead of spawning one. */
export const ENV = {
  redisUrl: 'TASKVAULT_TEST_REDIS_URL',
  redisCluster: 'TASKVAULT_TEST_REDIS_CLUSTER',
  postgresUrl: 'TASKVAULT_TEST_POSTGRES_URL',
} as const;

/** A set, non-empty environment variable, else undefined. */
export function envValue(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/**
 * How to make a server of this kind available, for skip messages and for the errors thrown when
 * neither a binary nor an external URL is there.
 */
export function serverUnavailableHint(kind: 'redis' | 'postgres'): string {
  if (kind === 'redis') {
    return (
      'redis-server was not found. Install it with `apt-get install -y redis-server` (it brings redis-cli), ' +
      `or set ${ENV.redisUrl}=redis://HOST:PORT to use a running server ` +
      `(and ${ENV.redisCluster}=host:port,host:port,host:port for a running cluster). ` +
      'Fault-injection tests (stop/kill/freeze) always need a spawned redis-server.'
    );
  }
  return (
    'PostgreSQL server binaries (initdb, postgres) were not found in /usr/lib/postgresql/*/bin or on PATH. ' +
    'Install them with `apt-get install -y postgresql`, ' +
    `or set ${ENV.postgresUrl}=postgres://USER:PASSWORD@HOST:PORT/DATABASE to use a running server ` +
    '(psql must still be on PATH for createDatabase; `apt-get install -y postgresql-client`). ' +
    'Fault-injection tests (stop/kill/freeze) always need a spawned server.'
  );
}

/** True when redis-server can be spawned here (for `describe.skipIf`). */
export function canSpawnRedis(): boolean {
  return findExecutable('redis-server') !== null;
}

/** True when a PostgreSQL server can be spawned here (for `describe.skipIf`). */
export function canSpawnPostgres(): boolean {
  return findPostgresBinDir() !== null;
}

/** The error every fault operation on an external server throws. */
export function externalServerError(what: string, operation: string, envName: string): Error {
  return new Error(
    `${operation}() is not possible on ${what}: it comes from ${envName}, and this package does not own ` +
      `that process. Fault tests need a server this package spawns: unset ${envName} or call the start* ` +
      'function directly instead of the *ForTests one.',
  );
}
