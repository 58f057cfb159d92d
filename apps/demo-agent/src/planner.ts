/**
 * Turns a request into a plan without a language model: a few patterns, read left to right, the
 * same plan for the same words every time. Whatever it does not understand gets a one-step plan
 * whose answer says what the agent can do.
 */
import type { LookupTable, PlanStep } from './model.js';

const NAME_END = String.raw`(?=\s+(?:and|plus|minus|times|to|then|divided|multiplied|by|with|for|in)\b|\s*[,?.!;]|\s*$)`;

/** `population of France`, `weather in Paris`, `price of a laptop`, `capital of the Netherlands`. */
const LOOKUP = new RegExp(
  String.raw`\b(population|capital|weather|price)\s+(?:of|in|for)\s+(?:the\s+|a\s+|an\s+)?([a-z][a-z' -]*?)${NAME_END}`,
  'gi',
);
/** `order 3 laptops`, `buy 2 phones`. */
const ORDER = /\b(?:order|buy)\s+(\d{1,4})\s+([a-z]+)/gi;
/** An arithmetic expression with at least one operator between operands. */
const EXPRESSION = /[(\d][\d\s.+\-*/()]*[\d)]/g;
const HAS_OPERATOR = /[\d)]\s*[-+*/]\s*[(\d]/;
/** `email ... to alice@example.com`, `send it to bob@example.org`. */
const EMAIL = /\b(?:e-?mail|send|mail)\b.*?\bto\s+([\w.+-]+@[\w-]+(?:\.[\w-]+)+)/i;

const COMBINE: Array<{ words: RegExp; operator: string }> = [
  { words: /\b(plus|add|sum|total|combined|together)\b/i, operator: '+' },
  { words: /\b(minus|difference|subtract|more than)\b/i, operator: '-' },
  { words: /\b(times|multiplied|product)\b/i, operator: '*' },
  { words: /\b(divided|ratio|per)\b/i, operator: '/' },
];

const NUMERIC_TABLES: ReadonlySet<LookupTable> = new Set(['population', 'price']);

/** A plan never grows past this, whatever the request says. */
export const MAX_PLAN_STEPS = 12;

function singular(word: string): string {
  const w = word.toLowerCase();
  if (w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

function titleCase(name: string): string {
  return name
    .trim()
    .replace(/\s+/g, ' ')
    .split(' ')
    .map((w) => (w.length > 0 ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w))
    .join(' ');
}

/**
 * The plan for `query`: lookups in the order they appear, orders (price lookup, a total, and the
 * order itself), explicit arithmetic, one calculation combining numeric lookups when the request
 * asks for it, an email when asked for, and always a final answer. Deterministic: the same query
 * always yields the same plan. Tool steps pause the task for a person's approval when they run.
 */
export function planFor(query: string): PlanStep[] {
  const steps: PlanStep[] = [];
  const ref = () => `$${steps.length}`;
  const numericRefs: string[] = [];

  for (const m of query.matchAll(LOOKUP)) {
    const table = m[1]!.toLowerCase() as LookupTable;
    const key = table === 'price' ? singular(m[2]!.trim()) : titleCase(m[2]!);
    steps.push({ kind: 'lookup', table, key });
    if (NUMERIC_TABLES.has(table)) numericRefs.push(ref());
  }

  for (const m of query.matchAll(ORDER)) {
    const quantity = Number(m[1]);
    const item = singular(m[2]!);
    steps.push({ kind: 'lookup', table: 'price', key: item });
    steps.push({ kind: 'calculate', expression: `${quantity} * ${ref()}` });
    steps.push({ kind: 'tool', tool: 'place_order', args: { item, quantity, total: ref() } });
  }

  for (const m of query.matchAll(EXPRESSION)) {
    const expression = m[0].trim();
    if (HAS_OPERATOR.test(expression)) steps.push({ kind: 'calculate', expression });
  }

  if (numericRefs.length >= 2) {
    const combine = COMBINE.find((c) => c.words.test(query));
    if (combine) steps.push({ kind: 'calculate', expression: numericRefs.join(` ${combine.operator} `) });
  }

  const email = EMAIL.exec(query);
  if (email) {
    steps.push({
      kind: 'tool',
      tool: 'send_email',
      args: { to: email[1]!.toLowerCase(), body: steps.length > 0 ? ref() : query.trim() },
    });
  }

  return [...steps.slice(0, MAX_PLAN_STEPS - 1), { kind: 'answer' }];
}
