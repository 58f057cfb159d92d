/**
 * The legacy imports read the source systems with their own drivers — ioredis for Teal's keys,
 * pg for Lybic's table — which the user has beside the CLI already when `@taskvault/redis` or
 * `@taskvault/postgres` is installed. They are loaded at run time, from the CLI's location first
 * and the current directory after, like the factory loads backends.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from '../errors.js';

/** Loads package `name` (`ioredis`, `pg`) or says how to install it. @throws CliError DRIVER_MISSING */
export async function loadDriver<T>(name: string, cwd: string, needed: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (!isMissing(error, name)) throw error;
  }
  let entry: string;
  try {
    entry = createRequire(join(cwd, 'noop.js')).resolve(name);
  } catch {
    throw new CliError(
      'DRIVER_MISSING',
      `${needed} needs the ${name} package, which is not installed: run \`npm install ${name}\` next to @taskvault/cli`,
    );
  }
  return (await import(pathToFileURL(entry).href)) as T;
}

function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(`'${name}'`)
  );
}
