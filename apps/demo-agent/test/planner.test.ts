import { describe, expect, it } from 'vitest';
import { evaluate } from '../src/calculator.js';
import { describeStep, type PlanStep } from '../src/model.js';
import { MAX_PLAN_STEPS, planFor } from '../src/planner.js';
import { runStep, type StepResult } from '../src/steps.js';

/** The plan in one line: `lookup population of France | calculate $1 + $2 | answer`. */
const planLine = (query: string) => planFor(query).map(describeStep).join(' | ');

const unclearOf = (query: string) => (planFor(query).at(-1) as Extract<PlanStep, { kind: 'answer' }>).unclear;

/** Runs every step of the plan in order, as the workers would (no tool steps here), and returns the answer. */
function answerFor(query: string): string {
  const plan = planFor(query);
  const results: StepResult[] = [];
  for (const [index, step] of plan.entries()) {
    const out = runStep(step, { taskId: 't', index, results, approval: null });
    if (out.type !== 'result') throw new Error(`step ${index + 1} of ${query} needs approval`);
    if (!out.result.ok) return `failed: ${out.result.text}`;
    results.push(out.result);
  }
  return results.at(-1)!.text;
}

describe('planner', () => {
  it('plans two lookups, a sum and an answer for a combined population question', () => {
    expect(planFor('What is the population of France plus the population of Germany?')).toEqual([
      { kind: 'lookup', table: 'population', key: 'France' },
      { kind: 'lookup', table: 'population', key: 'Germany' },
      { kind: 'calculate', expression: '$1 + $2' },
      { kind: 'answer' },
    ]);
  });

  it('gates an email behind approval and feeds it the looked-up weather', () => {
    expect(planFor('Email the weather in Paris to alice@example.com')).toEqual([
      { kind: 'lookup', table: 'weather', key: 'Paris' },
      { kind: 'tool', tool: 'send_email', args: { to: 'alice@example.com', body: '$1' } },
      { kind: 'answer' },
    ]);
  });

  it('turns an order into a price lookup, a total and an order tool call', () => {
    expect(planFor('Order 3 laptops')).toEqual([
      { kind: 'lookup', table: 'price', key: 'laptop' },
      { kind: 'calculate', expression: '3 * $1' },
      { kind: 'tool', tool: 'place_order', args: { item: 'laptop', quantity: 3, total: '$2' } },
      { kind: 'answer' },
    ]);
  });

  it('keeps explicit arithmetic as one calculation', () => {
    expect(planFor('Calculate (17 + 25) * 3 / 2')).toEqual([
      { kind: 'calculate', expression: '(17 + 25) * 3 / 2' },
      { kind: 'answer' },
    ]);
  });

  it('answers with help when it understands nothing', () => {
    expect(planFor('hello there')).toEqual([{ kind: 'answer' }]);
  });

  it('is deterministic: the same words give the same plan', () => {
    const q = 'population of Japan minus the population of Spain, then email it to bob@example.org';
    expect(planFor(q)).toEqual(planFor(q));
    expect(planFor(q).map((s) => s.kind)).toEqual(['lookup', 'lookup', 'calculate', 'tool', 'answer']);
  });
});

describe('planner, as a person types', () => {
  it.each([
    [
      'What is the population of France plus Germany',
      'lookup population of France | lookup population of Germany | calculate $1 + $2 | answer',
    ],
    [
      "what's the population of france plus germany?",
      'lookup population of France | lookup population of Germany | calculate $1 + $2 | answer',
    ],
    [
      'Population of France + Germany + Spain',
      'lookup population of France | lookup population of Germany | lookup population of Spain | calculate $1 + $2 + $3 | answer',
    ],
    [
      'population of France minus Germany',
      'lookup population of France | lookup population of Germany | calculate $1 - $2 | answer',
    ],
    [
      'What is the population of Japan divided by Spain?',
      'lookup population of Japan | lookup population of Spain | calculate $1 / $2 | answer',
    ],
    [
      'population of Japan multiplied by the population of Spain',
      'lookup population of Japan | lookup population of Spain | calculate $1 * $2 | answer',
    ],
    ['What is the population of France times 2?', 'lookup population of France | calculate $1 * 2 | answer'],
    [
      'population of France plus Germany minus Spain',
      'lookup population of France | lookup population of Germany | lookup population of Spain | calculate $1 + $2 - $3 | answer',
    ],
    [
      'What is the population of France and Germany?',
      'lookup population of France | lookup population of Germany | answer',
    ],
    [
      'population of France, Germany and Spain',
      'lookup population of France | lookup population of Germany | lookup population of Spain | answer',
    ],
    [
      'What is the total population of France and Germany?',
      'lookup population of France | lookup population of Germany | calculate $1 + $2 | answer',
    ],
    [
      'What is the population of France and Germany combined?',
      'lookup population of France | lookup population of Germany | calculate $1 + $2 | answer',
    ],
    [
      'sum of the populations of France and Germany',
      'lookup population of France | lookup population of Germany | calculate $1 + $2 | answer',
    ],
    ['capital of France and Germany', 'lookup capital of France | lookup capital of Germany | answer'],
    [
      'capital of France, Spain, and Italy',
      'lookup capital of France | lookup capital of Spain | lookup capital of Italy | answer',
    ],
    ['weather in New York and Paris', 'lookup weather in New York | lookup weather in Paris | answer'],
    ["What's the weather in Paris today, please?", 'lookup weather in Paris | answer'],
    [
      'What is the population of France and what is the capital of Germany?',
      'lookup population of France | lookup capital of Germany | answer',
    ],
    [
      'price of a laptop plus a phone',
      'lookup price of laptop | lookup price of phone | calculate $1 + $2 | answer',
    ],
    ['hello there', 'answer'],
  ])('plans %j fully', (query, plan) => {
    expect(planLine(query)).toBe(plan);
    expect(unclearOf(query)).toBeUndefined();
  });

  it.each([
    [
      'How many people live in France plus Germany?',
      /did not understand "many people live in France plus Germany"/,
    ],
    ['France population', /did not understand "France population"/],
    ['population of France plus', /did not understand "plus"/],
    ['population of France plus Germany and Spain', /did not understand "Spain"/],
    ['What is the population of France roughly?', /did not understand "roughly"/],
    [
      'capital of France plus Germany',
      /cannot calculate with a capital \("capital of France plus Germany"\)/,
    ],
    ['sum of the capital of France and Germany', /did not understand "sum"/],
    ['weather in Paris and 3', /did not understand "3"/],
  ])('says what it did not understand in %j', (query, said) => {
    const unclear = unclearOf(query);
    expect(unclear?.join(' ')).toMatch(said);
  });

  it('plans what it understood next to what it did not, and the answer says both', () => {
    expect(planLine('population of France plus Germany and Spain')).toBe(
      'lookup population of France | lookup population of Germany | calculate $1 + $2 | answer, saying what was not understood',
    );
    expect(answerFor('population of France plus Germany and Spain')).toBe(
      'The population of France is 68,170,000. The population of Germany is 84,480,000. ' +
        '68,170,000 + 84,480,000 = 152,650,000. I did not understand "Spain". This answer leaves that out.',
    );
  });

  it('answers "population of France plus Germany" with both populations and their sum', () => {
    expect(answerFor('What is the population of France plus Germany')).toBe(
      'The population of France is 68,170,000. The population of Germany is 84,480,000. ' +
        '68,170,000 + 84,480,000 = 152,650,000.',
    );
  });

  it('a request it cannot read at all gets what it did not understand, then the help', () => {
    const text = answerFor('How many people live in France plus Germany?');
    expect(text).toMatch(/^I did not understand "many people live in France plus Germany"\. I plan without/);
  });

  it('a request needing more steps than a plan holds is not cut short: it is refused in the answer', () => {
    const places =
      'France, Germany, Spain, Italy, Japan, India, Brazil, Canada, Netherlands, France, Spain, Italy';
    const plan = planFor(`population of ${places}`);
    expect(plan).toEqual([
      { kind: 'answer', unclear: [expect.stringMatching(/needs 13 steps, more than the 12/)] },
    ]);
    expect(
      planFor(
        `population of ${places
          .split(', ')
          .slice(0, MAX_PLAN_STEPS - 1)
          .join(', ')}`,
      ),
    ).toHaveLength(MAX_PLAN_STEPS);
  });
});

describe('calculator', () => {
  it('respects precedence, parentheses and unary minus', () => {
    expect(evaluate('(17 + 25) * 3 / 2', () => 0)).toBe(63);
    expect(evaluate('-2 * -(3 + 1)', () => 0)).toBe(8);
    expect(evaluate('0.1 + 0.2', () => 0)).toBe(0.3);
  });

  it('resolves $n references', () => {
    expect(evaluate('$1 + $2', (n) => n * 10)).toBe(30);
  });

  it('refuses division by zero and bad syntax with a reason', () => {
    expect(() => evaluate('1 / 0', () => 0)).toThrow(/division by zero/);
    expect(() => evaluate('1 +', () => 0)).toThrow(/ends too early/);
    expect(() => evaluate('2 ^ 3', () => 0)).toThrow(/unexpected/);
  });
});

describe('steps', () => {
  const ctx = (index: number, results: StepResult[] = [], approval = null) => ({
    taskId: 't',
    index,
    results,
    approval,
  });

  it('a lookup of an unknown key fails with the known keys listed', () => {
    const out = runStep({ kind: 'lookup', table: 'capital', key: 'Atlantis' }, ctx(0));
    expect(out).toMatchObject({ type: 'result', result: { ok: false } });
    expect(out.type === 'result' && out.result.text).toMatch(
      /no capital known for "Atlantis" \(known: .*France/,
    );
  });

  it('a tool step asks for approval with its arguments resolved, then acts once approved', () => {
    const step = { kind: 'tool', tool: 'send_email', args: { to: 'a@b.c', body: '$1' } } as const;
    const results = [{ ok: true, text: 'the weather in Paris is 14°C', output: '14°C' }];
    expect(runStep(step, ctx(1, results))).toMatchObject({
      type: 'needs-approval',
      args: { to: 'a@b.c', body: '14°C' },
    });
    const approved = runStep(step, {
      ...ctx(1, results),
      approval: { step: 1, tool: 'send_email', state: 'approved', decidedBy: 'x' },
    });
    expect(approved).toMatchObject({ type: 'result', result: { ok: true, output: { receipt: 'msg-t-1' } } });
    const rejected = runStep(step, {
      ...ctx(1, results),
      approval: { step: 1, tool: 'send_email', state: 'rejected', decidedBy: 'x' },
    });
    expect(rejected).toMatchObject({ type: 'result', result: { ok: true, output: { rejected: true } } });
  });

  it('is pure: running a step twice gives the same outcome', () => {
    const step = { kind: 'calculate', expression: '3 * $1' } as const;
    const results = [{ ok: true, text: 'a laptop costs $999', output: 999 }];
    expect(runStep(step, ctx(1, results))).toEqual(runStep(step, ctx(1, results)));
    expect(runStep(step, ctx(1, results))).toMatchObject({
      result: { output: 2997, text: '3 * 999 = 2,997' },
    });
  });
});
