/**
 * The server's `maxmemory-policy`, which must be `noeviction`: under any other policy Redis drops
 * keys on its own when memory runs short — a task's document, or an index it is listed in — and
 * counts, lists and `loadByRequestId` go wrong for good. `healthCheck` reports it; the policy is
 * read at most every {@link POLICY_TTL_MS}, in the same tick as the health check's PING, so the
 * check stays one round trip.
 */
import type { Cluster } from 'ioredis';
import type { Connection } from './connection.js';

/** How long a policy read is trusted. */
export const POLICY_TTL_MS = 10_000;

/** The policy named in a `CONFIG GET maxmemory-policy` reply, or null. */
function fromConfig(reply: unknown): string | null {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
}

/** The policy named in an `INFO memory` reply, or null. */
function fromInfo(reply: unknown): string | null {
  if (typeof reply !== 'string') return null;
  return /^maxmemory_policy:(\S+)/m.exec(reply)?.[1] ?? null;
}

/**
 * Reads the policy: `CONFIG GET`, or `INFO memory` when CONFIG is renamed away or not permitted.
 * Null when neither answers (the check is then skipped, and tried again next time: not knowing is
 * not a fault).
 */
async function readPolicy(send: (name: string, args: string[]) => Promise<unknown>): Promise<string | null> {
  try {
    const policy = fromConfig(await send('config', ['get', 'maxmemory-policy']));
    if (policy !== null) return policy;
  } catch {
    // CONFIG disabled (rename-command) or not allowed (ACL): INFO says it too
  }
  try {
    return fromInfo(await send('info', ['memory']));
  } catch {
    return null;
  }
}

/** What is wrong with a policy, in words for a health detail, or null when it is noeviction. */
export function policyProblem(policy: string | null, where = 'Redis'): string | null {
  if (policy === null || policy === 'noeviction') return null;
  return `${where} runs with maxmemory-policy ${policy}: it may evict taskvault's keys (tasks and index entries) behind the store; set maxmemory-policy noeviction`;
}

/** The last policy problem found, re-read when older than {@link POLICY_TTL_MS}. */
export class EvictionPolicyCheck {
  #problem: string | null = null;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<string | null> | null = null;

  constructor(private readonly conn: Connection) {}

  /**
   * The problem with the server's policy (null when it is noeviction or cannot be read). Sends its
   * read at once (same tick as the caller's other commands) when the last one is stale.
   */
  problem(): Promise<string | null> {
    if (performance.now() - this.#readAt < POLICY_TTL_MS) return Promise.resolve(this.#problem);
    this.#reading ??= this.#read().finally(() => {
      this.#reading = null;
    });
    return this.#reading;
  }

  async #read(): Promise<string | null> {
    const conn = this.conn;
    let read: { policy: string | null; where: string }[];
    if (conn.isCluster) {
      // every master has its own configuration; they are known once the slot map is
      await conn.ready().catch(() => undefined);
      const nodes = (conn.client as Cluster).nodes('master');
      read = await Promise.all(
        nodes.map(async (node) => ({
          policy: await readPolicy((name, args) => node.call(name, args)),
          where: `Redis Cluster node ${node.options.host}:${node.options.port}`,
        })),
      );
    } else {
      read = [{ policy: await readPolicy((name, args) => conn.command(name, args)), where: 'Redis' }];
    }
    const problem = read.map((r) => policyProblem(r.policy, r.where)).find((p) => p !== null) ?? null;
    // a policy that could not be read is asked again next time
    if (read.length > 0 && read.every((r) => r.policy !== null)) {
      this.#problem = problem;
      this.#readAt = performance.now();
    }
    return problem;
  }
}
