/**
 * The options of `withCache`, their defaults and their checks: a bad option is CONFIG_INVALID
 * naming it, before anything is started.
 */
import type { RetentionOption } from '@taskvault/core';
import { checkRetention, configInvalid, type RetentionPolicy } from '@taskvault/core/adapter';

/** What `withCache` takes. */
export interface CacheOptions {
  /** Most tasks held at once (least recently used go first). Default 10,000. */
  maxEntries?: number;
  /**
   * Most bytes held at once, counted as the tasks' serialized size (what `maxTaskBytes` counts;
   * the objects on the heap take a few times more). A task larger than this is never held.
   * Default 64 MiB.
   */
  maxBytes?: number;
  /**
   * The retention policy of the namespace, for a store that does not say it (the bundled stores
   * expose theirs as `store.retention`, which is used when this is absent). A cached task past
   * its retention deadline is never served from memory.
   */
  retention?: RetentionOption | null;
}

/** Checked options, defaults filled in. */
export interface CacheSettings {
  maxEntries: number;
  maxBytes: number;
  /** The retention to apply, or `undefined` when the store's own is to be used. */
  retention: RetentionPolicy | null | undefined;
}

/** Default `maxEntries`. */
export const DEFAULT_MAX_ENTRIES = 10_000;
/** Default `maxBytes`: 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

const OPTION_NAMES = new Set(['maxEntries', 'maxBytes', 'retention']);

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw configInvalid(name, `must be a positive integer (got ${JSON.stringify(value) ?? String(value)})`);
  return value;
}

/** Checks `withCache` options. @throws TaskStoreConfigError CONFIG_INVALID naming the option */
export function checkCacheOptions(given: unknown): CacheSettings {
  const options = given ?? {};
  if (typeof options !== 'object' || Array.isArray(options))
    throw configInvalid('options', 'must be an object such as { maxEntries: 10000 }');
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name))
      throw configInvalid(name, `is not a cache option (known: ${[...OPTION_NAMES].join(', ')})`);
  }
  const o = options as CacheOptions;
  return {
    maxEntries: positiveInteger('maxEntries', o.maxEntries, DEFAULT_MAX_ENTRIES),
    maxBytes: positiveInteger('maxBytes', o.maxBytes, DEFAULT_MAX_BYTES),
    retention: o.retention === undefined ? undefined : checkRetention(o.retention),
  };
}
