/**
 * What each kind of step does. Every executor is a pure function of the step, the results of the
 * steps before it and the approval decision: running it twice gives the same result, which is
 * what lets a worker throw away a result whose commit lost a race and let another worker redo it.
 */
import type { JsonObject, JsonValue } from '@taskvault/core';
import { CalculationError, evaluate } from './calculator.js';
import type { Approval, LookupTable, PlanStep, ToolName } from './model.js';

/** The recorded result of a committed step. */
export type StepResult = { ok: boolean; text: string; output: JsonValue };

/** What running a step yields. */
export type StepOutcome =
  /** The step is done; `result.ok` false means the task fails. */
  | { type: 'result'; result: StepResult }
  /** A tool step that may not run before a person approves it; `args` are resolved. */
  | { type: 'needs-approval'; tool: ToolName; args: JsonObject; text: string };

/** Everything a step may depend on. */
export type StepContext = {
  taskId: string;
  /** 0-based index of the step in the plan. */
  index: number;
  /** Committed results of earlier steps, by index. */
  results: ReadonlyArray<StepResult | undefined>;
  approval: Approval | null;
};

/** The lookup tables: fixed numbers, so the demo answers the same way everywhere. */
export const TABLES: Record<LookupTable, Record<string, string | number>> = {
  population: {
    Brazil: 216_400_000,
    Canada: 40_100_000,
    France: 68_170_000,
    Germany: 84_480_000,
    India: 1_428_600_000,
    Italy: 58_870_000,
    Japan: 124_500_000,
    Netherlands: 17_880_000,
    Spain: 48_350_000,
  },
  capital: {
    Brazil: 'Brasília',
    Canada: 'Ottawa',
    France: 'Paris',
    Germany: 'Berlin',
    India: 'New Delhi',
    Italy: 'Rome',
    Japan: 'Tokyo',
    Netherlands: 'Amsterdam',
    Spain: 'Madrid',
  },
  weather: {
    Berlin: '9°C, cloudy',
    London: '11°C, drizzle',
    Madrid: '24°C, clear sky',
    'New York': '17°C, windy',
    Paris: '14°C, light rain',
    Tokyo: '21°C, sunny',
  },
  price: { chair: 189, coffee: 4.5, keyboard: 79, laptop: 999, monitor: 249, phone: 599 },
};

/** `68,170,000`; `4.5`. */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 6 });
}

function formatValue(value: JsonValue): string {
  return typeof value === 'number'
    ? formatNumber(value)
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);
}

function ok(text: string, output: JsonValue): StepOutcome {
  return { type: 'result', result: { ok: true, text, output } };
}

function failed(text: string): StepOutcome {
  return { type: 'result', result: { ok: false, text, output: null } };
}

class ReferenceError_ extends Error {}

function resolveRef(ctx: StepContext, n: number): JsonValue {
  const r = n >= 1 && n <= ctx.index ? ctx.results[n - 1] : undefined;
  if (r === undefined || !r.ok) throw new ReferenceError_(`$${n} does not name an earlier successful step`);
  return r.output;
}

function lookup(step: Extract<PlanStep, { kind: 'lookup' }>): StepOutcome {
  const table = TABLES[step.table];
  const value = table[step.key];
  if (value === undefined) {
    return failed(
      `no ${step.table} known for ${JSON.stringify(step.key)} (known: ${Object.keys(table).join(', ')})`,
    );
  }
  const shown = formatValue(value);
  const text =
    step.table === 'price'
      ? `a ${step.key} costs $${shown}`
      : step.table === 'weather'
        ? `the weather in ${step.key} is ${shown}`
        : `the ${step.table} of ${step.key} is ${shown}`;
  return ok(text, value);
}

function calculate(step: Extract<PlanStep, { kind: 'calculate' }>, ctx: StepContext): StepOutcome {
  try {
    const numberAt = (n: number) => {
      const v = resolveRef(ctx, n);
      if (typeof v !== 'number') throw new ReferenceError_(`$${n} is not a number`);
      return v;
    };
    const result = evaluate(step.expression, numberAt);
    const shown = step.expression.replace(/\$(\d+)/g, (_, n: string) => formatNumber(numberAt(Number(n))));
    return ok(`${shown} = ${formatNumber(result)}`, result);
  } catch (error) {
    if (error instanceof CalculationError || error instanceof ReferenceError_) {
      return failed(`cannot calculate ${step.expression}: ${error.message}`);
    }
    throw error;
  }
}

function resolveArgs(args: JsonObject, ctx: StepContext): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(args)) {
    out[key] =
      typeof value === 'string' && /^\$\d+$/.test(value) ? resolveRef(ctx, Number(value.slice(1))) : value;
  }
  return out;
}

function describeCall(tool: ToolName, args: JsonObject): { ask: string; done: string; notDone: string } {
  if (tool === 'send_email') {
    const what = `an email to ${formatValue(args.to ?? null)}: "${formatValue(args.body ?? null)}"`;
    return { ask: `send ${what}`, done: `sent ${what}`, notDone: 'no email was sent' };
  }
  const what = `${formatValue(args.quantity ?? null)} × ${formatValue(args.item ?? null)} for $${formatValue(args.total ?? null)}`;
  return { ask: `order ${what}`, done: `ordered ${what}`, notDone: 'nothing was ordered' };
}

/**
 * A tool call. Before approval it asks for one; once approved it "acts" by returning a receipt
 * whose id is derived from (taskId, step), so a real tool could use it as an idempotency key.
 */
function tool(step: Extract<PlanStep, { kind: 'tool' }>, ctx: StepContext): StepOutcome {
  let args: JsonObject;
  try {
    args = resolveArgs(step.args, ctx);
  } catch (error) {
    if (error instanceof ReferenceError_) return failed(`cannot call ${step.tool}: ${error.message}`);
    throw error;
  }
  const decision = ctx.approval?.step === ctx.index ? ctx.approval.state : 'waiting';
  if (decision === 'waiting') {
    return {
      type: 'needs-approval',
      tool: step.tool,
      args,
      text: `approval needed to ${describeCall(step.tool, args).ask}`,
    };
  }
  if (decision === 'rejected') {
    const by = ctx.approval?.decidedBy ? ` by ${ctx.approval.decidedBy}` : '';
    return ok(`${step.tool} was rejected${by}, so ${describeCall(step.tool, args).notDone}`, {
      rejected: true,
    });
  }
  const receipt = `${step.tool === 'send_email' ? 'msg' : 'order'}-${ctx.taskId}-${ctx.index}`;
  return ok(`${describeCall(step.tool, args).done} (receipt ${receipt})`, { ...args, receipt });
}

const HELP =
  'I plan without a language model, so I understand a few kinds of request: ' +
  '"population of France plus Germany", "capital of France, Spain and Italy", "weather in Paris", ' +
  '"price of a laptop", "order 3 laptops", "calculate (17 + 25) * 3", "email the weather in Paris to alice@example.com".';

/**
 * The facts the steps found, then what the planner did not understand (so a partial answer says
 * it is one), then, when nothing was found, what the agent can do.
 */
function answer(step: Extract<PlanStep, { kind: 'answer' }>, ctx: StepContext): StepOutcome {
  const facts = ctx.results.slice(0, ctx.index).filter((r): r is StepResult => r?.ok === true);
  const unclear = step.unclear ?? [];
  const parts = [];
  if (facts.length > 0)
    parts.push(`${facts.map((r) => r.text[0]!.toUpperCase() + r.text.slice(1)).join('. ')}.`);
  if (unclear.length > 0) {
    parts.push(...unclear);
    if (facts.length > 0) parts.push('This answer leaves that out.');
  }
  if (facts.length === 0) parts.push(HELP);
  const text = parts.join(' ');
  return ok(text, text);
}

/** Runs one step. Pure: the same step and context always give the same outcome. */
export function runStep(step: PlanStep, ctx: StepContext): StepOutcome {
  switch (step.kind) {
    case 'lookup':
      return lookup(step);
    case 'calculate':
      return calculate(step, ctx);
    case 'tool':
      return tool(step, ctx);
    case 'answer':
      return answer(step, ctx);
  }
}
