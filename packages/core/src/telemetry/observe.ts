/**
 * Puts a store's public operations inside {@link StoreInstruments.observe}. Done per instance,
 * only for a store that reports somewhere, so a store without telemetry runs the plain methods.
 */
import type { StoreInstruments } from './instruments.js';

/** The operations that get a span and a duration. `close` is left out: it ends the reporting. */
export const OBSERVED_OPERATIONS = [
  'create',
  'load',
  'loadByRequestId',
  'update',
  'patch',
  'delete',
  'list',
  'count',
  'countActive',
  'cleanup',
  'restore',
  'verify',
  'clear',
  'healthCheck',
] as const;

type Method = (a?: unknown, b?: unknown, c?: unknown) => Promise<unknown>;

/** Shadows each operation of `store` with an own property that reports it. */
export function observeOperations(store: object, instruments: StoreInstruments): void {
  const methods = store as Record<string, Method>;
  for (const operation of OBSERVED_OPERATIONS) {
    const method = methods[operation];
    if (typeof method !== 'function') continue;
    Object.defineProperty(store, operation, {
      configurable: true,
      writable: true,
      enumerable: false,
      // Three parameters, not a rest array: no operation takes more, and the plain call (no SDK
      // behind the API) then allocates nothing at all — measurable on a memory store's load.
      value: (a?: unknown, b?: unknown, c?: unknown) =>
        instruments.reporting()
          ? instruments.observe(operation, () => method.call(store, a, b, c))
          : method.call(store, a, b, c),
    });
  }
}
