/** Compiled query templates, without a server: one parameter per bound name. */
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../src/queries/template.js';
import type { TaskvaultDatabase } from '../src/schema.js';

const db = new Kysely<TaskvaultDatabase>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('compileTemplate', () => {
  it('sends a value bound in several places once, as one parameter used wherever it goes', () => {
    const binder = compileTemplate<{ ns: string; id: string }, unknown>((b) =>
      db
        .selectFrom('tasks')
        .select('tasks.task_id')
        .where('tasks.namespace', '=', b('ns'))
        .where('tasks.task_id', '=', b('id'))
        .where('tasks.session_id', '=', b('ns')),
    );
    const query = binder({ ns: 'a', id: 'b' });
    expect(query.parameters).toEqual(['a', 'b']);
    expect(query.sql).toMatch(/"namespace" = \$1 and .*"task_id" = \$2 and .*"session_id" = \$1/);
  });

  it('keeps constants as parameters of their own, and leaves $ inside quoted literals and names alone', () => {
    const binder = compileTemplate<{ id: string }, unknown>((b) =>
      db
        .selectFrom('tasks')
        .select(sql<string>`'costs $1 or $2'`.as('$3 label'))
        .where('tasks.version', '=', 1)
        .where('tasks.task_id', '=', b('id'))
        .where('tasks.created_at', '=', 1),
    );
    const query = binder({ id: 'x' });
    expect(query.parameters).toEqual([1, 'x', 1]);
    expect(query.sql).toContain(`'costs $1 or $2' as "$3 label"`);
    expect(query.sql).toMatch(/"version" = \$1 and .*"task_id" = \$2 and .*"created_at" = \$3/);
  });
});
