/**
 * Where memory stores keep their tasks. A store made without one gets its own private registry;
 * stores given the same registry share the tasks of each namespace (two stores on namespace `a`
 * see the same tasks; a store on `b` sees none of them), as processes sharing a server would.
 */
import { checkNamespace } from '@taskvault/core/adapter';
import { NamespaceTable } from './namespace-table.js';

export class MemoryRegistry {
  readonly #namespaces = new Map<string, NamespaceTable>();

  /**
   * The table of `namespace`, created on first use. For the memory store itself: the table's
   * shape is not part of the public API and may change in any release.
   * @internal
   */
  table(namespace: string): NamespaceTable {
    const name = checkNamespace(namespace);
    let table = this.#namespaces.get(name);
    if (table === undefined) {
      table = new NamespaceTable();
      this.#namespaces.set(name, table);
    }
    return table;
  }

  /** Namespaces that hold or held tasks through this registry. */
  namespaces(): string[] {
    return [...this.#namespaces.keys()];
  }
}
