import { describe, expect, it } from 'vitest';
import { evaluate } from '../src/calculator.js';
import { planFor } from '../src/planner.js';
import { runStep, type StepResult } from '../src/steps.js';

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
