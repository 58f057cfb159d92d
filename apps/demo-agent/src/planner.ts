/**
 * Turns a request into a plan without a language model: a few kinds of phrase, read left to
 * right, the same plan for the same words every time. Every word of the request is either part of
 * a phrase a step accounts for, or filler ("what is the ... please"), or named by the answer as
 * not understood: the plan never answers part of a request as if it were all of it.
 */
import { type LookupPhrase, phraseAt, singular } from './lookup-phrases.js';
import type { LookupTable, PlanStep } from './model.js';
import { Coverage, type Token, tokenize } from './planner-words.js';

/** `order 3 laptops`, `buy 2 phones`. */
const ORDER = /\b(?:order|buy)\s+(\d{1,4})\s+([a-z]+)/gi;
/** An arithmetic expression with at least one operator between operands. */
const EXPRESSION = /[(\d][\d\s.+\-*/()]*[\d)]/g;
const HAS_OPERATOR = /[\d)]\s*[-+*/]\s*[(\d]/;
/** `email ... to alice@example.com`, `send it to bob@example.org`. */
const EMAIL = /\b(e-?mail|send|mail)\b.*?(\bto\s+[\w.+-]+@[\w-]+(?:\.[\w-]+)+)/i;

/** Words asking to combine the places of a list (`total population of France and Spain`). */
const COMBINE: Record<string, '+' | '-' | '*' | '/'> = {
  sum: '+',
  total: '+',
  combined: '+',
  together: '+',
  add: '+',
  difference: '-',
  subtract: '-',
  product: '*',
  multiply: '*',
  ratio: '/',
  divide: '/',
};

const NUMERIC_TABLES: ReadonlySet<LookupTable> = new Set(['population', 'price']);

/** A plan never grows past this, whatever the request says. */
export const MAX_PLAN_STEPS = 12;

/** A plan being built: its steps, what they account for, and what the answer must own up to. */
class Draft {
  readonly steps: PlanStep[] = [];
  readonly unclear: string[] = [];
  readonly covered = new Coverage();

  constructor(
    readonly query: string,
    readonly tokens: readonly Token[],
  ) {}

  /** `$n` of the last step added. */
  ref(): string {
    return `$${this.steps.length}`;
  }

  textOf(from: number, to: number): string {
    return this.query.slice(this.tokens[from]!.start, this.tokens[to - 1]!.end);
  }
}

/** The first word asking to combine a list, not yet accounted for. */
function combineWord(draft: Draft): { token: Token; operator: string } | null {
  for (const token of draft.tokens) {
    const operator = COMBINE[token.lower];
    if (operator !== undefined && !draft.covered.has(token)) return { token, operator };
  }
  return null;
}

/** Lookups for each place of the phrase, and the calculation its joints or a combine word ask for. */
function planPhrase(draft: Draft, phrase: LookupPhrase): void {
  const terms: string[] = [];
  const tables = new Set<LookupTable>();
  for (const operand of phrase.operands) {
    if (operand.kind === 'number') {
      terms.push(String(operand.value));
      continue;
    }
    draft.steps.push({ kind: 'lookup', table: operand.table, key: operand.key });
    terms.push(draft.ref());
    tables.add(operand.table);
  }
  const text = draft.textOf(phrase.from, phrase.to);
  draft.covered.add(draft.tokens[phrase.from]!.start, draft.tokens[phrase.to - 1]!.end);
  const numeric = [...tables].every((t) => NUMERIC_TABLES.has(t));
  const joint = phrase.joints[0];
  if (joint === undefined) return;
  if (joint !== 'list') {
    if (!numeric) {
      const what = [...tables].filter((t) => !NUMERIC_TABLES.has(t)).join(' or ');
      draft.unclear.push(
        `I cannot calculate with a ${what} ("${text}"), only with populations and prices, so I only looked them up.`,
      );
      return;
    }
    const expression = terms.map((term, i) => (i === 0 ? term : `${phrase.joints[i - 1]} ${term}`));
    draft.steps.push({ kind: 'calculate', expression: expression.join(' ') });
    return;
  }
  const combine = combineWord(draft);
  if (combine === null || !numeric || tables.size !== 1) return;
  draft.covered.add(combine.token.start, combine.token.end);
  draft.steps.push({ kind: 'calculate', expression: terms.join(` ${combine.operator} `) });
}

function planLookups(draft: Draft): void {
  for (let i = 0; i < draft.tokens.length; ) {
    const phrase = phraseAt(draft.tokens, i);
    if (phrase === null) {
      i++;
      continue;
    }
    planPhrase(draft, phrase);
    i = phrase.to;
  }
}

function planOrders(draft: Draft): void {
  for (const m of draft.query.matchAll(ORDER)) {
    const quantity = Number(m[1]);
    const item = singular(m[2]!);
    draft.steps.push({ kind: 'lookup', table: 'price', key: item });
    draft.steps.push({ kind: 'calculate', expression: `${quantity} * ${draft.ref()}` });
    draft.steps.push({ kind: 'tool', tool: 'place_order', args: { item, quantity, total: draft.ref() } });
    draft.covered.add(m.index, m.index + m[0].length);
  }
}

function planArithmetic(draft: Draft): void {
  for (const m of draft.query.matchAll(EXPRESSION)) {
    const expression = m[0].trim();
    const start = m.index;
    const end = start + m[0].length;
    if (!HAS_OPERATOR.test(expression) || draft.covered.overlaps(start, end)) continue;
    draft.steps.push({ kind: 'calculate', expression });
    draft.covered.add(start, end);
  }
}

function planEmail(draft: Draft): void {
  const m = EMAIL.exec(draft.query);
  if (!m) return;
  const to = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+$/.exec(m[2]!)![0].toLowerCase();
  if (draft.steps.length === 0) {
    // nothing to send but the request itself: all of it is the email's body
    draft.covered.add(0, draft.query.length);
  } else {
    draft.covered.add(m.index, m.index + m[1]!.length);
    draft.covered.add(m.index + m[0].length - m[2]!.length, m.index + m[0].length);
  }
  draft.steps.push({
    kind: 'tool',
    tool: 'send_email',
    args: { to, body: draft.steps.length > 0 ? draft.ref() : draft.query.trim() },
  });
}

/**
 * The plan for `query`: lookups in the order their phrases appear, each phrase followed by the
 * calculation it asks for (`plus`, `minus`, `times`, `divided by`, or `total` / `sum` /
 * `difference` over a list); orders (price lookup, a total, and the order itself); explicit
 * arithmetic; an email when asked for; and always a final answer. When any word is neither
 * understood nor filler, or a phrase asks for what no step can do, the answer step carries
 * `unclear` sentences and the answer says them. Deterministic: the same query always yields the
 * same plan. Tool steps pause the task for a person's approval when they run.
 */
export function planFor(query: string): PlanStep[] {
  const draft = new Draft(query, tokenize(query));
  planLookups(draft);
  planOrders(draft);
  planArithmetic(draft);
  planEmail(draft);
  const leftovers = draft.covered.leftovers(query, draft.tokens);
  if (leftovers.length > 0) {
    draft.unclear.unshift(`I did not understand ${leftovers.map((l) => `"${l}"`).join(', ')}.`);
  }
  if (draft.steps.length > MAX_PLAN_STEPS - 1) {
    return [
      {
        kind: 'answer',
        unclear: [
          `The request needs ${draft.steps.length + 1} steps, more than the ${MAX_PLAN_STEPS} a plan may hold, ` +
            'so I did none of it; ask for fewer things at once.',
        ],
      },
    ];
  }
  const answer: PlanStep =
    draft.unclear.length > 0 ? { kind: 'answer', unclear: draft.unclear } : { kind: 'answer' };
  return [...draft.steps, answer];
}
