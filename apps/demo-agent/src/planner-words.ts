/**
 * The planner's view of a request as words: tokens with their place in the text, the words that
 * carry no meaning of their own, and what is left once every understood phrase is taken out —
 * which the answer then names, so a request is never half answered without saying so.
 */

/** A word, number or sign of the request, with where it stands. */
export interface Token {
  text: string;
  /** Lower case, curly apostrophes straightened. */
  lower: string;
  start: number;
  end: number;
  kind: 'word' | 'number' | 'sign';
}

const TOKEN = /(\p{L}[\p{L}\p{M}'’-]*)|(\d+(?:\.\d+)?)|([^\s\p{L}\d])/gu;

/** The request as tokens, in order. */
export function tokenize(query: string): Token[] {
  const out: Token[] = [];
  for (const m of query.matchAll(TOKEN)) {
    const text = m[0];
    out.push({
      text,
      lower: text.toLowerCase().replaceAll('’', "'"),
      start: m.index,
      end: m.index + text.length,
      kind: m[1] !== undefined ? 'word' : m[2] !== undefined ? 'number' : 'sign',
    });
  }
  return out;
}

/** Words a person adds around a request that change nothing about it. */
export const FILLER: ReadonlySet<string> = new Set(
  (
    "what what's whats which is are was were be the a an of in for on at and then also it its it's " +
    "me my us our i i'd i'm you your please tell give show find get let let's know want like would " +
    'could can do does did to how much about there here hi hello hey thanks thank today now ' +
    'currently current right calculate compute work out look up between both just so quick quickly'
  ).split(' '),
);

/** Half-open character ranges of the request that a step accounts for. */
export class Coverage {
  readonly #spans: Array<[number, number]> = [];

  add(start: number, end: number): void {
    if (end > start) this.#spans.push([start, end]);
  }

  /** True when any covered range meets [start, end). */
  overlaps(start: number, end: number): boolean {
    return this.#spans.some(([s, e]) => start < e && end > s);
  }

  has(token: Token): boolean {
    return this.overlaps(token.start, token.end);
  }

  /** True when no token in `tokens[from..to)` is covered. */
  free(tokens: readonly Token[], from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (this.has(tokens[i]!)) return false;
    return true;
  }

  /**
   * What no step accounts for: runs of uncovered words and numbers that are not filler, as they
   * were typed (`"how many people live"`). Signs and filler words separate nothing: a run ends at
   * a covered token.
   */
  leftovers(query: string, tokens: readonly Token[]): string[] {
    const out: string[] = [];
    let run: Token[] = [];
    const flush = () => {
      if (run.length > 0) out.push(query.slice(run[0]!.start, run[run.length - 1]!.end));
      run = [];
    };
    for (const token of tokens) {
      if (this.has(token)) flush();
      else if (token.kind !== 'sign' && !FILLER.has(token.lower)) run.push(token);
    }
    flush();
    return out;
  }
}
