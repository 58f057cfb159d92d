/**
 * Queries compiled once per shape. A query is written with Kysely's typed builder, with
 * `bind('name')` where a per-call value goes; it is compiled the first time its shape is used,
 * and later calls only put their values into the parameter list. Building and compiling a
 * Kysely query costs tens of microseconds of client CPU, about as much as the rest of a `load`.
 */
import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import { PLAN_PER_CALL } from '../driver.js';
import type { Naming } from '../naming.js';
import type { TaskvaultDatabase } from '../schema.js';

const PARAM = Symbol('taskvault.param');

interface Placeholder {
  readonly [PARAM]: string;
}

function isPlaceholder(value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && PARAM in value;
}

/** Stands for the value of `name`, bound at execution; typed as that value for the builder. */
export type Bind<V> = <K extends keyof V & string>(name: K) => V[K];

/** Fills a compiled query with the values of one call. */
export type Binder<V, R> = (values: V) => CompiledQuery<R>;

/** How a template's statement is sent. */
export interface TemplateOptions {
  /** Plan it for its values on every call instead of preparing it once (see PLAN_PER_CALL). */
  planPerCall?: boolean;
}

/**
 * Quoted literals and identifiers (skipped) or a parameter reference `$n` (captured). Kysely
 * quotes every identifier and literal, so a `$` outside quotes is always a parameter.
 */
const PARAMETER_OR_QUOTED = /'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g;

/**
 * Compiles `build` once; the returned binder makes the query for given values.
 *
 * Every use of the same `bind('name')` becomes one parameter (`$3` wherever `namespace` goes),
 * so a value is sent, and parsed by the server, once per call however often the SQL uses it.
 * Constants the builder turned into parameters stay separate: two equal constants may stand in
 * contexts of different types.
 */
export function compileTemplate<V, R>(
  build: (bind: Bind<V>) => Compilable<R>,
  options: TemplateOptions = {},
): Binder<V, R> {
  const bind = ((name: string): Placeholder => ({ [PARAM]: name })) as Bind<V>;
  const compiled = build(bind).compile();
  const slots: ({ name: keyof V } | { constant: unknown })[] = [];
  const slotOfName = new Map<string, number>();
  // 1-based parameter number in the compiled SQL -> 1-based number in the SQL sent
  const renumbered = compiled.parameters.map((p) => {
    if (!isPlaceholder(p)) return slots.push({ constant: p });
    const known = slotOfName.get(p[PARAM]);
    if (known !== undefined) return known;
    const slot = slots.push({ name: p[PARAM] as keyof V });
    slotOfName.set(p[PARAM], slot);
    return slot;
  });
  const text = compiled.sql.replace(PARAMETER_OR_QUOTED, (match, n: string | undefined) =>
    n === undefined ? match : `$${renumbered[Number(n) - 1]}`,
  );
  const sql = options.planPerCall ? `${PLAN_PER_CALL}${text}` : text;
  return (values) =>
    CompiledQuery.raw(
      sql,
      slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant)),
    ) as CompiledQuery<R>;
}

/** The store's query layer: the typed database, the naming, and its compiled templates. */
export class QueryLayer {
  readonly #templates = new Map<string, Binder<never, unknown>>();

  constructor(
    readonly db: Kysely<TaskvaultDatabase>,
    readonly naming: Naming,
  ) {}

  /** The binder of the query of shape `key`, compiling it on first use. */
  template<V, R>(
    key: string,
    build: (bind: Bind<V>) => Compilable<R>,
    options: TemplateOptions = {},
  ): Binder<V, R> {
    let binder = this.#templates.get(key) as Binder<V, R> | undefined;
    if (binder === undefined) {
      binder = compileTemplate(build, options);
      this.#templates.set(key, binder as Binder<never, unknown>);
    }
    return binder;
  }

  /** Runs a bound query; returns its rows. */
  async rows<R>(query: CompiledQuery<R>): Promise<R[]> {
    return (await this.db.executeQuery(query)).rows;
  }

  /** Runs a bound query; returns its first row, if any. */
  async first<R>(query: CompiledQuery<R>): Promise<R | undefined> {
    return (await this.db.executeQuery(query)).rows[0];
  }
}
