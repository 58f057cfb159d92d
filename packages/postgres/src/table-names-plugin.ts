/**
 * A Kysely plugin that maps the logical table names of {@link TaskvaultDatabase} to the real,
 * schema-qualified and prefixed ones (`tasks` -> `"app"."tv_tasks"`). CTE names are never among
 * the logical names, so they pass through untouched.
 */
import {
  IdentifierNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type SchemableIdentifierNode,
  type UnknownRow,
} from 'kysely';
import type { Naming } from './naming.js';
import type { LogicalTable } from './schema.js';

class TableNamesTransformer extends OperationNodeTransformer {
  readonly #names: ReadonlyMap<string, string>;
  readonly #schema: string;

  constructor(naming: Naming) {
    super();
    this.#schema = naming.schema;
    const names: Record<LogicalTable, string> = {
      tasks: naming.tasks,
      task_requests: naming.requests,
      task_counts: naming.counts,
      task_quarantine: naming.quarantine,
      sweep_leases: naming.leases,
    };
    this.#names = new Map(Object.entries(names));
  }

  protected override transformSchemableIdentifier(node: SchemableIdentifierNode): SchemableIdentifierNode {
    const real = node.schema === undefined ? this.#names.get(node.identifier.name) : undefined;
    if (real === undefined) return super.transformSchemableIdentifier(node);
    return {
      ...node,
      schema: IdentifierNode.create(this.#schema),
      identifier: IdentifierNode.create(real),
    };
  }
}

/** Rewrites logical table names to the configured schema and prefix. */
export class TableNamesPlugin implements KyselyPlugin {
  readonly #transformer: TableNamesTransformer;

  constructor(naming: Naming) {
    this.#transformer = new TableNamesTransformer(naming);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
