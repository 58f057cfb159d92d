/**
 * The round-trip rule for JSON values, in one pass that both checks and copies: whatever passes
 * comes back deep-equal from every backend, and whatever cannot is rejected with its path.
 */
import { describeType, stringProblem, utf8Length } from './ids.js';
import type { JsonObject, JsonValue } from './task.js';

const STRING_SUSPECT = /[\0\uD800-\uDFFF]/;

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

/** Counts the serialized size while copying, so the size limit needs no second pass. */
export interface ByteCounter {
  bytes: number;
}

/**
 * Deep-copies a JSON value, checking every node. Throws `JsonProblem` for: non-finite numbers,
 * BigInt, functions, symbols, `undefined` inside arrays (and array holes), Dates, Maps and any
 * other class instance, cycles, nesting deeper than {@link MAX_JSON_DEPTH}, and strings or keys
 * holding U+0000 or unpaired surrogates. Object properties whose value is `undefined` are
 * dropped, as JSON does. `-0` becomes `0`, as JSON has no negative zero.
 *
 * `counter.bytes` grows by the value's JSON size in UTF-8 (escapes inside strings not counted).
 */
export function copyJsonValue(value: unknown, path: string, counter: ByteCounter): JsonValue {
  return copy(value, path, counter, 0, []);
}

/** Like {@link copyJsonValue} for a value that must be a plain object (`data`). */
export function copyJsonObject(value: unknown, path: string, counter: ByteCounter): JsonObject {
  if (!isPlainObject(value))
    throw new JsonProblem(path, `must be a plain object, got ${describeType(value)}`);
  return copy(value, path, counter, 0, []) as JsonObject;
}

function copy(value: unknown, path: string, counter: ByteCounter, depth: number, stack: object[]): JsonValue {
  switch (typeof value) {
    case 'string': {
      // The regex is a fast pre-check; the detailed scan runs only to explain a rejection
      // (a surrogate *pair* matches too, so the scan decides).
      if (STRING_SUSPECT.test(value)) {
        const problem = stringProblem(value);
        if (problem !== null) throw new JsonProblem(path, problem);
      }
      counter.bytes += byteLength(value) + 2;
      return value;
    }
    case 'number':
      if (!Number.isFinite(value))
        throw new JsonProblem(path, `${value} is not JSON (only finite numbers are)`);
      counter.bytes += 8;
      return value === 0 ? 0 : value;
    case 'boolean':
      counter.bytes += 5;
      return value;
    case 'bigint':
      throw new JsonProblem(path, 'BigInt is not JSON; store it as a string');
    case 'undefined':
      throw new JsonProblem(path, 'undefined is not JSON; use null');
    case 'function':
      throw new JsonProblem(path, 'a function is not JSON');
    case 'symbol':
      throw new JsonProblem(path, 'a symbol is not JSON');
  }
  if (value === null) {
    counter.bytes += 4;
    return null;
  }
  const obj = value as object;
  if (depth >= MAX_JSON_DEPTH) throw new JsonProblem(path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (stack.includes(obj)) throw new JsonProblem(path, 'is a cycle (refers to an object that contains it)');
  if (Array.isArray(obj)) {
    stack.push(obj);
    const out: JsonValue[] = new Array(obj.length);
    counter.bytes += 2;
    for (let i = 0; i < obj.length; i++) {
      const itemPath = `${path}[${i}]`;
      if (!(i in obj))
        throw new JsonProblem(itemPath, 'is a hole in a sparse array; JSON would turn it into null');
      out[i] = copy(obj[i], itemPath, counter, depth + 1, stack);
      counter.bytes += 1;
    }
    stack.pop();
    return out;
  }
  if (!isPlainObject(obj)) {
    throw new JsonProblem(
      path,
      `${describeType(obj)} is not JSON; convert it to plain data (a Date to an ISO string)`,
    );
  }
  stack.push(obj);
  const out: JsonObject = {};
  counter.bytes += 2;
  for (const key of Object.keys(obj)) {
    const child = (obj as Record<string, unknown>)[key];
    if (child === undefined) continue;
    const childPath = appendPath(path, key);
    if (STRING_SUSPECT.test(key)) {
      const keyProblem = stringProblem(key);
      if (keyProblem !== null) throw new JsonProblem(childPath, `key ${keyProblem}`);
    }
    const copied = copy(child, childPath, counter, depth + 1, stack);
    counter.bytes += byteLength(key) + 4;
    if (key === '__proto__') {
      // A plain assignment would replace the prototype instead of adding the key.
      Object.defineProperty(out, key, {
        value: copied,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = copied;
    }
  }
  if (Object.getOwnPropertySymbols(obj).length > 0) {
    throw new JsonProblem(path, 'has symbol keys, which JSON cannot hold');
  }
  stack.pop();
  return out;
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
