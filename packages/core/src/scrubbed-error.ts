/**
 * A copy of an error that is safe to keep as a `cause`: what code outside taskvault threw (a
 * custom backend, a driver while loading) may carry a connection string with its password in
 * its message, stack, properties or causes.
 */
import { scrubSecrets } from './errors.js';

/** How many causes deep a copy follows; deeper ones are dropped. */
const MAX_CAUSE_DEPTH = 8;

/**
 * An `Error` with `error`'s name, message, stack and string/number `code`, each scrubbed of
 * secrets, and a scrubbed copy of its `cause` chain. Nothing else is copied: other properties
 * (a config object, a client) are exactly where a password would hide. A thrown non-error
 * becomes an `Error` whose message is its scrubbed text.
 */
export function scrubbedError(error: unknown, depth = 0): Error {
  if (!(error instanceof Error)) return new Error(scrubSecrets(String(error)));
  const copy = new Error(scrubSecrets(error.message));
  copy.name = scrubSecrets(error.name);
  copy.stack = scrubSecrets(error.stack ?? `${copy.name}: ${copy.message}`);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') {
    Object.assign(copy, { code: typeof code === 'string' ? scrubSecrets(code) : code });
  }
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    // Non-enumerable, as the engine sets it: util.inspect still prints it as [cause].
    Object.defineProperty(copy, 'cause', {
      value: scrubbedError(error.cause, depth + 1),
      configurable: true,
      writable: true,
    });
  }
  return copy;
}
