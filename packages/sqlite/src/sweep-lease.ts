/**
 * The namespace's sweep lease and the background sweeper's batches (SPEC "Retention"). The lease
 * is one row of `taskvault_sweep_lease` per namespace: who holds it, until when, and its fencing
 * token, which grows each time the lease changes hands and is never reset (giving the lease up
 * clears the holder and keeps the token). Each step is one `BEGIN IMMEDIATE` transaction, and a
 * batch checks the token in the same transaction as its DELETEs, so a holder that stalled past
 * its lease cannot sweep beside its successor.
 *
 * Lease times are `Date.now()`: every process sharing a file runs on the machine that holds it
 * (SQLite's locking needs a local file system), so they read one clock.
 */
import { deadRows } from './maintenance.js';
import type { NamespaceTable } from './table.js';

interface LeaseRow {
  holder: string | null;
  token: number;
  expires_at: number;
}

function leaseOf(t: NamespaceTable): LeaseRow | undefined {
  return t
    .stmt('SELECT holder, token, expires_at FROM taskvault_sweep_lease WHERE namespace = ?')
    .get(t.namespace) as LeaseRow | undefined;
}

function heldByAnother(lease: LeaseRow | undefined, holder: string, now: number): boolean {
  return lease !== undefined && lease.holder !== null && lease.holder !== holder && lease.expires_at > now;
}

/**
 * Takes the lease for `holder` when nobody holds it or its holder's time ran out (the next token),
 * or renews it when `holder` has it (the same token); null while another holder's lease runs.
 */
export function acquireLease(t: NamespaceTable, holder: string, leaseMs: number): number | null {
  // A look first, without the write lock: every process asks once per interval, and all but the
  // holder get their answer here instead of queueing for the lock.
  if (heldByAnother(leaseOf(t), holder, Date.now())) return null;
  return t.write(() => {
    const now = Date.now();
    const lease = leaseOf(t);
    if (heldByAnother(lease, holder, now)) return null;
    if (lease === undefined) {
      t.stmt(
        'INSERT INTO taskvault_sweep_lease (namespace, holder, token, expires_at) VALUES (?, ?, 1, ?)',
      ).run(t.namespace, holder, now + leaseMs);
      return 1;
    }
    const token = lease.holder === holder ? lease.token : lease.token + 1;
    t.stmt('UPDATE taskvault_sweep_lease SET holder = ?, token = ?, expires_at = ? WHERE namespace = ?').run(
      holder,
      token,
      now + leaseMs,
      t.namespace,
    );
    return token;
  });
}

/**
 * Deletes up to `limit` rows past their live-until at `now`, with their index entries and counts,
 * if `holder` still holds the lease under `token`; how many, or null (nothing deleted) when the
 * lease has moved on.
 */
export function sweepBatch(
  t: NamespaceTable,
  holder: string,
  token: number,
  now: number,
  limit: number,
): number | null {
  return t.write(() => {
    const lease = leaseOf(t);
    if (lease === undefined || lease.holder !== holder || lease.token !== token) return null;
    const rows = deadRows(t, now, limit);
    for (const row of rows) t.remove(row, 'expired', now);
    return rows.length;
  });
}

/** Gives the lease up if `holder` still holds it under `token`: the next asker takes it at once. */
export function releaseLease(t: NamespaceTable, holder: string, token: number): void {
  t.write(() => {
    t.stmt(
      'UPDATE taskvault_sweep_lease SET holder = NULL, expires_at = 0 WHERE namespace = ? AND holder = ? AND token = ?',
    ).run(t.namespace, holder, token);
  });
}
