/** Id rules and the one ordering of ids every backend uses. */
import { MAX_ID_BYTES } from './task.js';

/**
 * Why `id` is not a valid id, or `null` when it is: non-empty, at most 512 UTF-8 bytes,
 * no control characters (C0, DEL, C1), no unpaired surrogates.
 */
export function idProblem(id: unknown): string | null {
  if (typeof id !== 'string') return `must be a string, got ${describeType(id)}`;
  if (id.length === 0) return 'must not be empty';
  // Nearly every id is short printable ASCII, which passes every rule below: one cheap loop
  // instead of the three passes the general checks make.
  if (id.length <= MAX_ID_BYTES && isPrintableAscii(id)) return null;
  if (utf8Length(id) > MAX_ID_BYTES) return `must be at most ${MAX_ID_BYTES} UTF-8 bytes`;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      return `must not hold control characters (U+${c.toString(16).toUpperCase().padStart(4, '0')} at index ${i})`;
    }
  }
  return stringProblem(id);
}

/** True when every code unit is U+0020..U+007E (so one UTF-8 byte each, and no control character). */
function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Why a string cannot be stored by every backend, or `null`: U+0000 (PostgreSQL's text and
 * jsonb cannot hold it) and unpaired UTF-16 surrogates (not valid UTF-8, so not storable as text).
 */
export function stringProblem(s: string): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return `holds U+0000 at index ${i}, which PostgreSQL cannot store; remove or escape it`;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `holds an unpaired UTF-16 surrogate at index ${i}, which is not valid Unicode text`;
    }
  }
  return null;
}

/** UTF-8 length of a string without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Orders ids by Unicode code point, which is the order of their UTF-8 bytes: the order Redis
 * sorted sets and PostgreSQL `COLLATE "C"` use, so every backend breaks createdAt ties alike.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after
    // BMP characters 0xE000-0xFFFF although their code units are smaller.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** `string`, `number`, `null`, `array`, `Date`, class name ...: for messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  const t = typeof value;
  if (t === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
      ?.name;
    return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
  }
  return t;
}
