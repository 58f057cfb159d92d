/**
 * A small arithmetic evaluator: numbers, `$n` references to earlier step results, `+ - * /`,
 * unary minus and parentheses. No `eval`; anything else is an error with a reason.
 */

/** Why an expression could not be evaluated. */
export class CalculationError extends Error {
  override readonly name = 'CalculationError';
}

type Token = { kind: 'number'; value: number } | { kind: 'op'; value: string };

function tokenize(expression: string, resolve: (ref: number) => number): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|\$(\d+)|([-+*/()]))/y;
  let pos = 0;
  while (pos < expression.length) {
    if (/^\s*$/.test(expression.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(expression);
    if (!m) throw new CalculationError(`unexpected ${JSON.stringify(expression.slice(pos).trim()[0])}`);
    if (m[1] !== undefined) tokens.push({ kind: 'number', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: 'number', value: resolve(Number(m[2])) });
    else tokens.push({ kind: 'op', value: m[3]! });
    pos = re.lastIndex;
  }
  return tokens;
}

/**
 * Evaluates `expression`. `resolve(n)` gives the number behind `$n`.
 * @throws CalculationError for a syntax error, a division by zero or a result that is not finite.
 */
export function evaluate(expression: string, resolve: (ref: number) => number): number {
  const tokens = tokenize(expression, resolve);
  let i = 0;
  const peek = () => tokens[i];

  function primary(): number {
    const t = tokens[i++];
    if (t === undefined) throw new CalculationError('expression ends too early');
    if (t.kind === 'number') return t.value;
    if (t.value === '-') return -primary();
    if (t.value === '(') {
      const v = sum();
      const close = tokens[i++];
      if (close?.kind !== 'op' || close.value !== ')') throw new CalculationError('missing ")"');
      return v;
    }
    throw new CalculationError(`unexpected "${t.value}"`);
  }

  function product(): number {
    let v = primary();
    for (let t = peek(); t?.kind === 'op' && (t.value === '*' || t.value === '/'); t = peek()) {
      i++;
      const rhs = primary();
      if (t.value === '/' && rhs === 0) throw new CalculationError('division by zero');
      v = t.value === '*' ? v * rhs : v / rhs;
    }
    return v;
  }

  function sum(): number {
    let v = product();
    for (let t = peek(); t?.kind === 'op' && (t.value === '+' || t.value === '-'); t = peek()) {
      i++;
      const rhs = product();
      v = t.value === '+' ? v + rhs : v - rhs;
    }
    return v;
  }

  const result = sum();
  if (i < tokens.length) throw new CalculationError(`unexpected "${String(tokens[i]!.value)}"`);
  if (!Number.isFinite(result)) throw new CalculationError('the result is not a finite number');
  // Round away binary noise (0.1 + 0.2) so answers read as people expect.
  return Math.round(result * 1e9) / 1e9;
}
