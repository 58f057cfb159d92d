/**
 * Loads a module by package name or file path at run time, from core's own location first and
 * then from the application's directory, so it works under npm, pnpm's strict layout and yarn.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Thrown when the module itself is not installed (as opposed to failing while it loads). */
export class ModuleNotFound extends Error {
  constructor(readonly specifier: string) {
    super(`cannot find module ${specifier}`);
  }
}

function isNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: string; message?: string };
  if (typeof e?.message !== 'string') return false;
  const notFound =
    e.code === 'ERR_MODULE_NOT_FOUND' ||
    e.code === 'MODULE_NOT_FOUND' ||
    /cannot find|could not resolve/i.test(e.message);
  // Only the module asked for counts: a missing dependency *inside* it is a real failure.
  return notFound && (e.message.includes(`'${specifier}'`) || e.message.includes(`"${specifier}"`));
}

/** Is this written as a file path (`./`, `../`, absolute or a file URL), never a package name? */
export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:');
}

/** True when `path` names a regular file (a directory of that name is not one). */
function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/**
 * Imports `specifier`. Paths resolve against `cwd`; packages resolve from core first, then
 * from `cwd` (where the application's node_modules are). A specifier without `./` that names a
 * file under `cwd` (`custom/my_store.mjs`, as the source systems write it) is that file;
 * otherwise it is a package name.
 * @throws ModuleNotFound when the module is not installed or the file does not exist.
 */
export async function importModule(
  specifier: string,
  cwd: string = process.cwd(),
): Promise<Record<string, unknown>> {
  if (isPathSpecifier(specifier)) {
    const url = specifier.startsWith('file:') ? specifier : pathToFileURL(resolve(cwd, specifier)).href;
    if (!specifier.startsWith('file:') && !existsSync(resolve(cwd, specifier)))
      throw new ModuleNotFound(specifier);
    return (await import(url)) as Record<string, unknown>;
  }
  const asFile = resolve(cwd, specifier);
  if (isFile(asFile)) return (await import(pathToFileURL(asFile).href)) as Record<string, unknown>;
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    if (!isNotFound(error, specifier)) throw error;
  }
  const entry = resolveFromDirectory(specifier, cwd);
  if (entry === undefined) throw new ModuleNotFound(specifier);
  return (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
}

/** The ESM entry of package `name` as installed under `dir`, or undefined. */
function resolveFromDirectory(name: string, dir: string): string | undefined {
  const require = createRequire(join(dir, 'noop.js'));
  let pkgJsonPath: string;
  try {
    pkgJsonPath = require.resolve(`${name}/package.json`);
  } catch {
    try {
      return require.resolve(name);
    } catch {
      return undefined;
    }
  }
  const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8')) as {
    exports?: Record<string, unknown>;
    module?: string;
    main?: string;
  };
  const root = pkg.exports?.['.'] as { import?: { default?: string } | string } | string | undefined;
  const esm =
    typeof root === 'string' ? root : typeof root?.import === 'string' ? root.import : root?.import?.default;
  const file = esm ?? pkg.module ?? pkg.main ?? 'index.js';
  return join(dirname(pkgJsonPath), file);
}
