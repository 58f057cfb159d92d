/**
 * fast-check arbitraries for what a store must return deep-equal: JSON without -0 (JSON has no
 * negative zero, so core stores 0), without U+0000 and without lone surrogates (core rejects
 * those by design), unicode strings, awkward ids and dates.
 */
import { type JsonValue, TASK_STATUSES, type TaskItem, type TaskStatus } from '@taskvault/core';
import { idProblem } from '@taskvault/core/adapter';
import fc from 'fast-check';

/** Characters that break naive escaping, quoting, key patterns or encodings. */
const AWKWARD_CHARS = [
  '"',
  "'",
  '\\',
  '/',
  ':',
  '*',
  '?',
  '{',
  '}',
  '[',
  ']',
  '%',
  '$',
  '`',
  ' ',
  '\n',
  '\t',
  '\r',
  '\u00A0',
  '\u2028',
  '\u2029',
  '\uFEFF',
  '\uFFFD',
  '\uFFFF',
  'é',
  'ß',
  '中',
  'ع',
  '\u0301',
  '\u{1F600}',
  '\u{1F469}\u200D\u{1F4BB}',
  '\u{10FFFF}',
];

/** One code point of any kind a store must keep, U+0000 and lone surrogates excepted. */
const codePoint = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000'),
  },
  { weight: 2, arbitrary: fc.constantFrom(...AWKWARD_CHARS) },
);

/** Unicode text as data or content. */
export const jsonString = fc.string({ unit: codePoint, maxLength: 24 });

/** Numbers that survive JSON exactly: any finite double but -0, integers, and edge cases. */
export const jsonNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.constantFrom(
    0,
    0.1,
    0.1 + 0.2,
    1e21,
    1e-7,
    5e-324,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    123456789.12345679,
  ),
);

/** Object keys, including ones that are special somewhere. */
const jsonKey = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: codePoint, maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '', '$ref', 'a.b', '0', '-1'),
  },
);

/** Any JSON value a store must return deep-equal. */
export const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{
  value: JsonValue;
  array: JsonValue[];
  object: JsonValue;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.constant(null),
    fc.boolean(),
    jsonNumber,
    jsonString,
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  // Object.fromEntries defines '__proto__' as an own key, as JSON.parse does.
  object: fc
    .uniqueArray(fc.tuple(jsonKey, tie('value')), { selector: ([k]) => k, maxLength: 5 })
    .map((entries) => Object.fromEntries(entries) as JsonValue),
})).value;

/** A `data` object. */
export const jsonObject = fc
  .uniqueArray(fc.tuple(jsonKey, jsonValue), { selector: ([k]) => k, maxLength: 6 })
  .map((entries) => Object.fromEntries(entries) as { [key: string]: JsonValue });

/** Ids that must come back as they went in. */
export const AWKWARD_IDS: readonly string[] = [
  'a:b',
  '*',
  '{x}',
  '{tag}:rest*',
  "' OR 1=1 --",
  '"quoted"',
  "it's",
  '\\backslash\\',
  'with spaces',
  ' leading and trailing ',
  '%s%d%n',
  '$1',
  '../..',
  '/etc/passwd',
  '[a]',
  '?*[]',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  '0',
  '\u{1F600}\u{1F469}\u200D\u{1F4BB}',
  'é中عß',
  '\uFEFFbom',
  'x'.repeat(512),
  '\u{1F600}'.repeat(128),
  '€'.repeat(170) + 'ab',
];

/** Valid ids made of any code points but control characters. */
export const idString = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: codePoint, minLength: 1, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom(...AWKWARD_IDS) },
  )
  .filter((s) => idProblem(s) === null);

/** A date every backend keeps to the millisecond. */
export const date = fc.date({
  min: new Date(Date.UTC(1950, 0, 1)),
  max: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
  noInvalidDate: true,
});

export const status = fc.constantFrom<TaskStatus>(...TASK_STATUSES);

export const taskItem: fc.Arbitrary<TaskItem> = fc.record({
  requestId: idString,
  role: fc.constantFrom('user', 'assistant', 'tool', 'system'),
  content: jsonValue,
  createdAt: date,
});
