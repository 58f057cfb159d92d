/**
 * The exact stored form of A2A values. The SDK's objects carry what JSON cannot: properties set
 * to `undefined` (`status.message`, `metadata`), raw bytes in file parts (`Buffer`), and any
 * value a caller puts in `metadata`. `InMemoryTaskStore` keeps a `structuredClone`, so a store
 * that means to return what it returns must keep those too. Each such value becomes a small
 * tagged object; an object that itself has the tag's key is wrapped, so no stored value is
 * ever read back as something else.
 */
import type { JsonObject, JsonValue } from '@taskvault/core';
import { type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';

/** The key that marks an encoded value. */
const TAG = '$a2a';

/**
 * An A2A value in JSON: equal to the input where the input is JSON, tagged where it is not.
 * @throws TaskStoreError `INVALID_INPUT` at `path` for a value `structuredClone` would not keep
 *   as plain data (a function, a symbol, a `Map`, a class instance, a cycle).
 */
export function encodeValue(value: unknown, path: string, operation: TaskStoreOperation): JsonValue {
  return encode(value, path, operation, new Set());
}

function encode(value: unknown, path: string, operation: TaskStoreOperation, seen: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { [TAG]: 'number', value: String(Object.is(value, -0) ? '-0' : value) };
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'object':
      break;
    default:
      throw invalid(operation, path, `a ${typeof value} cannot be stored`);
  }
  if (value === null) return null;
  if (seen.has(value)) throw invalid(operation, path, 'a cycle cannot be stored');
  if (value instanceof Uint8Array) {
    return {
      [TAG]: 'bytes',
      base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    };
  }
  if (value instanceof Date) {
    const time = value.getTime();
    return { [TAG]: 'date', value: Number.isNaN(time) ? 'NaN' : time };
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const out: JsonValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = encode(value[i], `${path}[${i}]`, operation, seen);
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(operation, path, `a ${proto?.constructor?.name ?? 'non-plain'} object cannot be stored`);
    }
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      define(out, key, encode((value as Record<string, unknown>)[key], `${path}.${key}`, operation, seen));
    }
    return Object.hasOwn(out, TAG) ? { [TAG]: 'object', value: out } : out;
  } finally {
    seen.delete(value);
  }
}

/** The value {@link encodeValue} was given, as `structuredClone` would return it. */
export function decodeValue(value: JsonValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  if (!Object.hasOwn(value, TAG)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) define(out, key, decodeValue(value[key] as JsonValue));
    return out;
  }
  switch (value[TAG]) {
    case 'undefined':
      return undefined;
    case 'number':
      return Number(value.value);
    case 'bytes':
      return new Uint8Array(Buffer.from(String(value.base64), 'base64'));
    case 'date':
      return new Date(value.value === 'NaN' ? Number.NaN : Number(value.value));
    case 'object': {
      const inner = value.value as JsonObject;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(inner)) define(out, key, decodeValue(inner[key] as JsonValue));
      return out;
    }
    default:
      throw new Error(`unknown stored A2A value tag ${JSON.stringify(value[TAG])}`);
  }
}

/** Sets an own property, `__proto__` included, without touching the prototype. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function invalid(operation: TaskStoreOperation, path: string, detail: string) {
  return taskStoreError(operation, 'INVALID_INPUT', { path, detail });
}
