/**
 * Lookup phrases the way people type them: `population of France`, then more places joined by
 * `and` / commas (`capital of France, Germany and Spain`) or by arithmetic (`population of France
 * plus Germany`, `… minus the population of Spain`, `… times 2`). A phrase joins places one way
 * only: a list, or arithmetic; a joint of the other kind ends it, and what follows is read afresh.
 */
import type { LookupTable } from './model.js';
import { FILLER, type Token } from './planner-words.js';
import { TABLES } from './steps.js';

/** One place (or number) of a phrase. */
export type Operand = { kind: 'lookup'; table: LookupTable; key: string } | { kind: 'number'; value: number };

/** A lookup phrase: its operands, how they are joined, and the tokens it spans. */
export interface LookupPhrase {
  operands: Operand[];
  /** `list`, or the arithmetic operator between every pair of operands. */
  joints: Array<'list' | '+' | '-' | '*' | '/'>;
  from: number;
  /** One past the last token. */
  to: number;
}

const TABLE_WORDS: Record<string, LookupTable> = {
  population: 'population',
  populations: 'population',
  capital: 'capital',
  capitals: 'capital',
  weather: 'weather',
  price: 'price',
  prices: 'price',
};
const PREPOSITIONS = new Set(['of', 'in', 'for']);
const ARTICLES = new Set(['the', 'a', 'an']);
const JOINTS: Record<string, LookupPhrase['joints'][number]> = {
  and: 'list',
  ',': 'list',
  plus: '+',
  '+': '+',
  minus: '-',
  '-': '-',
  times: '*',
  '*': '*',
  '/': '/',
};
/** Two-word joints: `multiplied by`, `divided by`. */
const JOINT_PAIRS: Record<string, LookupPhrase['joints'][number]> = { multiplied: '*', divided: '/' };

/** Words that end a place name: joints, verbs of other steps, and filler. */
const NOT_A_NAME = new Set([
  ...FILLER,
  ...Object.keys(TABLE_WORDS),
  ...Object.keys(JOINTS),
  ...Object.keys(JOINT_PAIRS),
  ...'by with from email e-mail mail send order buy sum total combined together add difference subtract product multiply ratio divide'.split(
    ' ',
  ),
]);
const MAX_NAME_WORDS = 3;

/** `laptops` -> `laptop`, `batteries` -> `battery`. */
export function singular(word: string): string {
  const w = word.toLowerCase();
  if (w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

function titleCase(words: readonly string[]): string {
  return words.map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join(' ');
}

function keyOf(table: LookupTable, words: readonly string[]): string {
  return table === 'price' ? singular(words.join(' ')) : titleCase(words);
}

/**
 * The place name at `at`: up to three words that are not joints or filler, shortened to the
 * longest start that names a known key (`Paris today` -> `Paris`, `New York` stays whole).
 */
function nameAt(
  tokens: readonly Token[],
  at: number,
  table: LookupTable,
): { key: string; to: number } | null {
  let end = at;
  while (
    end < tokens.length &&
    end - at < MAX_NAME_WORDS &&
    tokens[end]!.kind === 'word' &&
    !NOT_A_NAME.has(tokens[end]!.lower)
  ) {
    end++;
  }
  if (end === at) return null;
  const words = tokens.slice(at, end).map((t) => t.text);
  for (let n = words.length; n >= 1; n--) {
    const key = keyOf(table, words.slice(0, n));
    if (Object.hasOwn(TABLES[table], key)) return { key, to: at + n };
  }
  return { key: keyOf(table, words), to: end };
}

function skipArticle(tokens: readonly Token[], at: number): number {
  return at < tokens.length && ARTICLES.has(tokens[at]!.lower) ? at + 1 : at;
}

/** `population of [the]` at `at`: the table and where the name starts. */
function headAt(tokens: readonly Token[], at: number): { table: LookupTable; next: number } | null {
  const table = TABLE_WORDS[tokens[at]?.lower ?? ''];
  if (table === undefined || !PREPOSITIONS.has(tokens[at + 1]?.lower ?? '')) return null;
  return { table, next: skipArticle(tokens, at + 2) };
}

/** The joint at `at`: `and`, `, and`, `plus`, `+`, `divided by`, ... */
function jointAt(
  tokens: readonly Token[],
  at: number,
): { joint: LookupPhrase['joints'][number]; next: number } | null {
  const word = tokens[at]?.lower ?? '';
  if (word === ',' && tokens[at + 1]?.lower === 'and') return { joint: 'list', next: at + 2 };
  const single = JOINTS[word];
  if (single !== undefined) return { joint: single, next: at + 1 };
  const pair = JOINT_PAIRS[word];
  if (pair !== undefined && tokens[at + 1]?.lower === 'by') return { joint: pair, next: at + 2 };
  return null;
}

/** The operand after a joint: a number, `[the] population of X`, or a bare place in `table`. */
function operandAt(
  tokens: readonly Token[],
  at: number,
  table: LookupTable,
): { operand: Operand; next: number } | null {
  const token = tokens[at];
  if (token?.kind === 'number')
    return { operand: { kind: 'number', value: Number(token.text) }, next: at + 1 };
  const start = skipArticle(tokens, at);
  const head = headAt(tokens, start);
  const own = head?.table ?? table;
  const name = nameAt(tokens, head?.next ?? start, own);
  if (name === null) return null;
  return { operand: { kind: 'lookup', table: own, key: name.key }, next: name.to };
}

/** The lookup phrase starting at token `at`, or null when none starts there. */
export function phraseAt(tokens: readonly Token[], at: number): LookupPhrase | null {
  const head = headAt(tokens, at);
  if (head === null) return null;
  const first = nameAt(tokens, head.next, head.table);
  if (first === null) return null;
  const phrase: LookupPhrase = {
    operands: [{ kind: 'lookup', table: head.table, key: first.key }],
    joints: [],
    from: at,
    to: first.to,
  };
  let table = head.table;
  for (;;) {
    const joint = jointAt(tokens, phrase.to);
    if (joint === null) break;
    // one kind of joint per phrase: `France plus Germany and Spain` ends before `and`
    const kind = joint.joint === 'list' ? 'list' : 'arithmetic';
    const before = phrase.joints[0];
    if (before !== undefined && (before === 'list' ? 'list' : 'arithmetic') !== kind) break;
    const next = operandAt(tokens, joint.next, table);
    // a number joins places only by arithmetic (`France and 2` means nothing)
    if (next === null || (kind === 'list' && next.operand.kind === 'number')) break;
    if (next.operand.kind === 'lookup') table = next.operand.table;
    phrase.operands.push(next.operand);
    phrase.joints.push(joint.joint);
    phrase.to = next.next;
  }
  return phrase;
}
