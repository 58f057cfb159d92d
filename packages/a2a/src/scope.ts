/**
 * Where a call's data lives: the tenant picks the taskvault store (one namespace per tenant,
 * opened on demand, a bounded number kept open), the owner is the tasks' `userId`.
 */
import type { TaskStore } from '@taskvault/core';
import { idProblem, type TaskStoreOperation, taskStoreError } from '@taskvault/core/adapter';
import type { OwnerResolver, ServerCallContext } from './sdk-types.js';

/** Opens the store of a tenant's namespace; see {@link ScopeOptions.tenantStore}. */
export type TenantStoreFactory = (tenant: string) => TaskStore | Promise<TaskStore>;

/** Options both A2A stores take. */
export interface ScopeOptions {
  /**
   * The owner of a call's tasks (stored as `userId`). Default: the SDK's `resolveUserScope`
   * (the authenticated user's name, `'unknown'` for unauthenticated calls).
   */
  ownerResolver?: OwnerResolver;
  /**
   * Opens the store for a non-empty `context.tenant`, e.g.
   * `(tenant) => createTaskStore({ namespace: \`a2a-${tenant}\` })`. Calls without a tenant use
   * the store given to the constructor. Without this option a call with a tenant is rejected
   * with `CONFIG_INVALID`, so tenants are never mixed in one namespace by accident.
   */
  tenantStore?: TenantStoreFactory;
  /**
   * Tenant stores kept open at once (default 16). Past it the least recently used one is closed
   * once its calls finish, and opened again when its tenant comes back.
   */
  maxTenantStores?: number;
}

/** A store and owner to run one call on; `release()` when the call is done. */
export interface Scope {
  store: TaskStore;
  owner: string;
  release(): void;
}

interface TenantEntry {
  opened: Promise<TaskStore>;
  users: number;
  evicted: boolean;
}

/** Resolves contexts to scopes; holds the tenant stores it opened. */
export class Scopes {
  readonly #store: TaskStore;
  readonly #ownerResolver: OwnerResolver;
  readonly #tenantStore: TenantStoreFactory | undefined;
  readonly #max: number;
  /** Insertion order is recency order: a used entry is moved to the end. */
  readonly #tenants = new Map<string, TenantEntry>();

  constructor(store: TaskStore, options: ScopeOptions, ownerResolver: OwnerResolver) {
    this.#store = store;
    this.#ownerResolver = options.ownerResolver ?? ownerResolver;
    this.#tenantStore = options.tenantStore;
    const max = options.maxTenantStores ?? 16;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw taskStoreError('config', 'CONFIG_INVALID', {
        path: 'maxTenantStores',
        detail: 'must be a positive integer',
      });
    }
    this.#max = max;
  }

  /**
   * The scope of `context`.
   * @throws TaskStoreError `INVALID_INPUT` for an owner or tenant that is not a valid id,
   *   `CONFIG_INVALID` for a tenant without the `tenantStore` option.
   */
  async resolve(context: ServerCallContext, operation: TaskStoreOperation): Promise<Scope> {
    const owner = this.#ownerResolver(context);
    const ownerProblem = idProblem(owner);
    if (ownerProblem !== null) {
      throw taskStoreError(operation, 'INVALID_INPUT', {
        path: 'owner',
        detail: `the owner ${ownerProblem}`,
      });
    }
    const tenant = context.tenant ?? '';
    if (tenant === '') return { store: this.#store, owner, release: () => {} };
    const tenantProblem = idProblem(tenant);
    if (tenantProblem !== null) {
      throw taskStoreError(operation, 'INVALID_INPUT', {
        path: 'context.tenant',
        detail: `the tenant ${tenantProblem}`,
      });
    }
    if (this.#tenantStore === undefined) {
      throw taskStoreError('config', 'CONFIG_INVALID', {
        path: 'tenantStore',
        detail: `a call for tenant ${JSON.stringify(tenant)} needs the tenantStore option to open that tenant's store`,
      });
    }
    const entry = this.#acquire(tenant, this.#tenantStore);
    try {
      const store = await entry.opened;
      return { store, owner, release: () => this.#release(entry) };
    } catch (error) {
      this.#release(entry);
      throw error;
    }
  }

  /** Closes every tenant store this opened (never the store given to the constructor). */
  async close(): Promise<void> {
    const entries = [...this.#tenants.values()];
    this.#tenants.clear();
    await Promise.all(entries.map((entry) => closeOpened(entry)));
  }

  #acquire(tenant: string, open: TenantStoreFactory): TenantEntry {
    let entry = this.#tenants.get(tenant);
    if (entry !== undefined) {
      this.#tenants.delete(tenant);
    } else {
      const opened = Promise.resolve().then(() => open(tenant));
      entry = { opened, users: 0, evicted: false };
      // a factory that failed is asked again next time
      opened.catch(() => {
        if (this.#tenants.get(tenant) === entry) this.#tenants.delete(tenant);
      });
    }
    this.#tenants.set(tenant, entry);
    entry.users++;
    while (this.#tenants.size > this.#max) {
      const [oldest, evicted] = this.#tenants.entries().next().value as [string, TenantEntry];
      this.#tenants.delete(oldest);
      evicted.evicted = true;
      if (evicted.users === 0) void closeOpened(evicted);
    }
    return entry;
  }

  #release(entry: TenantEntry): void {
    entry.users--;
    if (entry.evicted && entry.users === 0) void closeOpened(entry);
  }
}

async function closeOpened(entry: TenantEntry): Promise<void> {
  try {
    await (await entry.opened).close();
  } catch {
    // a store that failed to open has nothing to close; close() itself is idempotent
  }
}

/**
 * The `maxAttempts` option of both stores: how many compare-and-set rounds a write may take.
 * @throws TaskStoreError `CONFIG_INVALID` unless it is a positive integer.
 */
export function maxAttemptsOption(value: number | undefined): number {
  const maxAttempts = value ?? 64;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw taskStoreError('config', 'CONFIG_INVALID', {
      path: 'maxAttempts',
      detail: 'must be a positive integer',
    });
  }
  return maxAttempts;
}
