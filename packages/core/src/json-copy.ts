/**
 * The round-trip rule for JSON values, in one pass that both checks and copies: whatever passes
 * comes back deep-equal from every backend, and whatever cannot is rejected with its path.
 *
 * This runs on every write of every backend, so the walk builds no path strings: a rejection
 * records where it happened as it unwinds (see {@link Misfit}), and only then is the path
 * spelled out. Short strings are checked and measured in one loop over their code units.
 */
import { describeType, stringProblem, utf8Length } from './ids.js';
import { hasOwnKey } from './own-key.js';
import { escapeBytes, needsEscape, numberSize, SHORT_STRING, shortStringBytes } from './size.js';
import type { JsonObject, JsonValue } from './task.js';

/** UTF-8 length: Buffer's native count in Node, the portable loop elsewhere. */
const byteLength: (s: string) => number =
  typeof Buffer === 'function' ? (s) => Buffer.byteLength(s, 'utf8') : utf8Length;

/** Deepest nesting accepted inside `data` or `content` (Redis' Lua JSON decoder stops at 1000). */
export const MAX_JSON_DEPTH = 100;

/** A rejected value: where it is and why. Turned into an INVALID_INPUT error by the caller. */
export class JsonProblem {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {}
}

/**
 * Counts the serialized size while copying, so the size limit needs no second pass: exactly the
 * UTF-8 length of `JSON.stringify` of the copy (see `size.ts`).
 */
export interface ByteCounter {
  bytes: number;
}

/**
 * A rejection found inside the walk, before its path is known. Each enclosing array or object
 * adds its index or key while the throw unwinds, so valid input (the common case) never pays
 * for paths; {@link locate} turns it into a {@link JsonProblem} at the top.
 */
export class Misfit {
  /** Indexes (numbers) and keys (strings) from the offending value outwards. */
  readonly trail: (string | number)[] = [];
  constructor(readonly detail: string) {}
}

/** Adds `step` to the trail of a `Misfit` passing through; anything else passes untouched. */
function within(error: unknown, step: string | number): unknown {
  if (error instanceof Misfit) error.trail.push(step);
  return error;
}

/**
 * Turns a `Misfit` from {@link copyJson} into a `JsonProblem` whose path starts at `path`
 * (`data.stats.total`, `items[0].content[2]`); returns any other error as it is.
 */
export function locate(error: unknown, path: string): unknown {
  if (!(error instanceof Misfit)) return error;
  let full = path;
  const trail = error.trail;
  for (let i = trail.length - 1; i >= 0; i--) {
    const step = trail[i]!;
    full = typeof step === 'number' ? `${full}[${step}]` : appendPath(full, step);
  }
  return new JsonProblem(full, error.detail);
}

/**
 * Deep-copies a JSON value, checking every node. Throws `JsonProblem` for: non-finite numbers,
 * BigInt, functions, symbols, `undefined` inside arrays (and array holes), Dates, Maps and any
 * other class instance, cycles, nesting deeper than {@link MAX_JSON_DEPTH}, and strings or keys
 * holding U+0000 or unpaired surrogates. Object properties whose value is `undefined` are
 * dropped, as JSON does. `-0` becomes `0`, as JSON has no negative zero.
 *
 * `counter.bytes` grows by the exact UTF-8 length of the value's JSON text, escapes included.
 */
export function copyJsonValue(value: unknown, path: string, counter: ByteCounter): JsonValue {
  try {
    return copy(value, counter, 0, []);
  } catch (error) {
    throw locate(error, path);
  }
}

/** Like {@link copyJsonValue} for a value that must be a plain object (`data`). */
export function copyJsonObject(value: unknown, path: string, counter: ByteCounter): JsonObject {
  if (!isPlainObject(value))
    throw new JsonProblem(path, `must be a plain object, got ${describeType(value)}`);
  try {
    return copy(value, counter, 0, []) as JsonObject;
  } catch (error) {
    throw locate(error, path);
  }
}

/**
 * {@link copyJsonValue} without a path: a rejection throws a `Misfit`, which the caller passes
 * to {@link locate} with the path, so callers that compose paths (`items[3].content`) build them
 * only for a rejection.
 */
export function copyJson(value: unknown, counter: ByteCounter): JsonValue {
  return copy(value, counter, 0, []);
}

/** Code units that may make a string unstorable; a surrogate *pair* matches too, so it is a pre-check. */
const STRING_SUSPECT = /[\0\uD800-\uDFFF]/;

/**
 * Size of a string every backend can store as a JSON string token (quotes and escapes included),
 * or -1 when it holds U+0000 or an unpaired surrogate. Anything outside the common case (any
 * surrogate, or U+0000) goes to the careful check, which decides.
 */
export function storableBytes(s: string): number {
  const n = s.length;
  if (n < SHORT_STRING) {
    // Below SHORT_STRING the one-pass loop beats the native calls (`Buffer.byteLength`,
    // `indexOf`), whose call overhead dominates: measured on the strings and keys of a typical
    // 2 KB task, the split takes about a third less time than either alone.
    const bytes = shortStringBytes(s);
    if (bytes >= 0) return bytes;
    return stringProblem(s) === null ? byteLength(s) + 2 + escapeBytes(s) : -1;
  }
  const bytes = byteLength(s) + 2 + (needsEscape(s) ? escapeBytes(s) : 0);
  // One byte per code unit means pure ASCII: no surrogate can be there, only U+0000.
  if (bytes === n + 2) return s.indexOf('\0') === -1 ? bytes : -1;
  if (STRING_SUSPECT.test(s) && stringProblem(s) !== null) return -1;
  return bytes;
}

/**
 * Sizes of object keys seen before. An application's objects use a few dozen distinct keys, over
 * and over, and a lookup here costs about half the scan of a short key (measured on a 2 KB task).
 * Bounded: only storable keys of at most {@link CACHED_KEY_LENGTH} code units, and no more than
 * {@link CACHED_KEYS} of them; past that, keys are measured each time, as before.
 */
const keySizes = new Map<string, number>();
const CACHED_KEYS = 4096;
const CACHED_KEY_LENGTH = 64;

/** {@link storableBytes} of an object key. */
function keyBytesOf(key: string): number {
  const known = keySizes.get(key);
  if (known !== undefined) return known;
  const bytes = storableBytes(key);
  if (bytes >= 0 && key.length <= CACHED_KEY_LENGTH && keySizes.size < CACHED_KEYS) keySizes.set(key, bytes);
  return bytes;
}

function copy(value: unknown, counter: ByteCounter, depth: number, stack: object[]): JsonValue {
  switch (typeof value) {
    case 'string': {
      const bytes = storableBytes(value);
      if (bytes < 0) throw new Misfit(stringProblem(value)!);
      counter.bytes += bytes;
      return value;
    }
    case 'number':
      if (!Number.isFinite(value)) throw new Misfit(`${value} is not JSON (only finite numbers are)`);
      counter.bytes += numberSize(value);
      return value === 0 ? 0 : value;
    case 'boolean':
      counter.bytes += value ? 4 : 5;
      return value;
    case 'bigint':
      throw new Misfit('BigInt is not JSON; store it as a string');
    case 'undefined':
      throw new Misfit('undefined is not JSON; use null');
    case 'function':
      throw new Misfit('a function is not JSON');
    case 'symbol':
      throw new Misfit('a symbol is not JSON');
  }
  if (value === null) {
    counter.bytes += 4;
    return null;
  }
  const obj = value as object;
  if (depth >= MAX_JSON_DEPTH) throw new Misfit(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (stack.includes(obj)) throw new Misfit('is a cycle (refers to an object that contains it)');
  if (Array.isArray(obj)) {
    stack.push(obj);
    const out: JsonValue[] = new Array(obj.length);
    counter.bytes += 2;
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) {
        throw within(new Misfit('is a hole in a sparse array; JSON would turn it into null'), i);
      }
      try {
        out[i] = copy(obj[i], counter, depth + 1, stack);
      } catch (error) {
        throw within(error, i);
      }
    }
    // Brackets, and a comma between each two elements.
    counter.bytes += obj.length > 0 ? obj.length - 1 : 0;
    stack.pop();
    return out;
  }
  if (!isPlainObject(obj)) {
    throw new Misfit(`${describeType(obj)} is not JSON; convert it to plain data (a Date to an ISO string)`);
  }
  stack.push(obj);
  const out: JsonObject = {};
  // Braces; each member adds its key token, a colon and a comma, and the last comma is taken back.
  counter.bytes += 1;
  let members = 0;
  // for-in with an own-property test visits exactly Object.keys' keys, in the same order, but
  // reads V8's enum cache instead of allocating an array per object: measured ~15% faster.
  for (const key in obj) {
    if (!hasOwnKey(obj, key)) continue;
    const child = (obj as Record<string, unknown>)[key];
    if (child === undefined) continue;
    const keyBytes = keyBytesOf(key);
    if (keyBytes < 0) throw within(new Misfit(`key ${stringProblem(key)}`), key);
    let copied: JsonValue;
    try {
      copied = copy(child, counter, depth + 1, stack);
    } catch (error) {
      throw within(error, key);
    }
    counter.bytes += keyBytes + 2;
    members++;
    setOwnKey(out, key, copied);
  }
  if (members === 0) counter.bytes += 1;
  if (Object.getOwnPropertySymbols(obj).length > 0) {
    throw new Misfit('has symbol keys, which JSON cannot hold');
  }
  stack.pop();
  return out;
}

/**
 * Sets `key` on a JSON object being built as an ordinary own, enumerable property, also when
 * the key is `"__proto__"`: a plain assignment of that key would replace the object's prototype
 * instead of adding the key, losing the data and letting input choose a prototype.
 */
export function setOwnKey(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** An object whose prototype is `Object.prototype` or `null`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `data.stats.total`, or `data["a b"]` for keys that are not identifiers. */
export function appendPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
