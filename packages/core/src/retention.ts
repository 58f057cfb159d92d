/**
 * Retention (SPEC "Retention"): how long a task in a terminal status is kept after its last write.
 *
 * A store turns its policy into one instant per task, its live-until time: the earlier of the
 * task's own `expiresAt` and, in a status the policy names, `updatedAt` plus that status's
 * duration. Each write fixes it for the task it stores, as a TTL fixes `expiresAt` at create, and
 * every read, count and sweep treats a task past it exactly as an expired one. `expiresAt` itself
 * stays what the caller set: retention never shows in a loaded task.
 */
import { MAX_TTL_MS, parseDuration } from './duration.js';
import { taskStoreError } from './errors.js';
import type { TaskStatus } from './task.js';

/** The statuses a retention policy may name: the terminal ones. */
export type RetainedStatus = 'completed' | 'failed' | 'cancelled';

/** The statuses a retention policy may name, in a fixed order. */
export const RETAINED_STATUSES: readonly RetainedStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * How long terminal tasks are kept after their last write, per status: ms as a number, or text as
 * `TASKVAULT_TTL` takes it (`'90s'`, `'15m'`, `'2h'`, `'7d'`). A status left out is kept for good;
 * active statuses are never removed by retention.
 */
export type RetentionOption = Partial<Record<RetainedStatus, number | string>>;

/** A checked retention policy: ms per named status. */
export type RetentionPolicy = Readonly<Partial<Record<RetainedStatus, number>>>;

function retentionInvalid(path: string, detail: string): never {
  throw taskStoreError('config', 'CONFIG_INVALID', { path, detail });
}

function durationMs(path: string, value: unknown, lead: string): number {
  let ms: number | null | undefined;
  if (typeof value === 'number') ms = Number.isFinite(value) && value > 0 ? value : undefined;
  else if (typeof value === 'string') ms = parseDuration(value);
  if (ms === null || ms === undefined)
    retentionInvalid(
      path,
      `${lead}must be a positive duration: ms, or text like 90s, 15m, 2h, 7d (got ${JSON.stringify(value)})`,
    );
  if (ms > MAX_TTL_MS) retentionInvalid(path, `${lead}must be at most 365000d (about 1000 years)`);
  return ms;
}

/**
 * Checks a `retention` store option. `undefined`, `null` and `{}` mean no retention (`null`).
 * @throws TaskStoreConfigError CONFIG_INVALID naming `retention.<status>` (or `retention`).
 */
export function checkRetention(value: unknown, path = 'retention'): RetentionPolicy | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    retentionInvalid(path, 'must be an object such as { completed: "7d", failed: "30d" }');
  return policyOf(Object.entries(value), (status) => `${path}.${status}`, '');
}

/**
 * Parses `TASKVAULT_RETENTION`: `completed=7d,failed=30d,cancelled=1d` (a status left out is kept).
 * @throws TaskStoreConfigError CONFIG_INVALID naming `variable`.
 */
export function parseRetention(text: string, variable = 'TASKVAULT_RETENTION'): RetentionPolicy | null {
  const entries: [string, string][] = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0)
      retentionInvalid(
        variable,
        `cannot read ${JSON.stringify(part.trim())}: write status=duration, e.g. completed=7d`,
      );
    const status = part.slice(0, eq).trim();
    if (entries.some(([s]) => s === status)) retentionInvalid(variable, `names ${status} twice`);
    entries.push([status, part.slice(eq + 1).trim()]);
  }
  return policyOf(
    entries,
    () => variable,
    (status) => `${status}: `,
  );
}

function policyOf(
  entries: [string, unknown][],
  pathOf: (status: string) => string,
  prefix: '' | ((status: string) => string),
): RetentionPolicy | null {
  const policy: Partial<Record<RetainedStatus, number>> = {};
  for (const [status, duration] of entries) {
    const path = pathOf(status);
    const lead = prefix === '' ? '' : prefix(status);
    if (!(RETAINED_STATUSES as readonly string[]).includes(status))
      retentionInvalid(
        path,
        `${lead}names no terminal status: retention applies to ${RETAINED_STATUSES.join(', ')} only`,
      );
    if (duration === undefined) continue;
    policy[status as RetainedStatus] = durationMs(path, duration, lead);
  }
  return Object.keys(policy).length === 0 ? null : Object.freeze(policy);
}

/** The policy as `TASKVAULT_RETENTION` writes it (for logs and the demo page). */
export function formatRetention(policy: RetentionPolicy | null): string {
  if (policy === null) return 'none';
  return RETAINED_STATUSES.filter((s) => policy[s] !== undefined)
    .map((s) => `${s}=${formatMs(policy[s]!)}`)
    .join(',');
}

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The retention duration of `status` under `policy`, in ms, or null when tasks in it are kept
 * (an active status, a status the policy leaves out, or no policy).
 */
export function retentionOf(policy: RetentionPolicy | null, status: TaskStatus): number | null {
  if (policy === null) return null;
  return (policy as Partial<Record<TaskStatus, number>>)[status] ?? null;
}

/**
 * The instant (epoch ms) a task stops existing: the earlier of its `expiresAt` and its retention
 * deadline (`updatedAt` + the duration of its status), or null when neither applies. Every
 * backend stores this with the task in the write's server-side step and reads it wherever it
 * checks expiry.
 */
export function liveUntil(
  policy: RetentionPolicy | null,
  status: TaskStatus,
  updatedAtMs: number,
  expiresAtMs: number | null,
): number | null {
  const keep = retentionOf(policy, status);
  if (keep === null) return expiresAtMs;
  const deadline = updatedAtMs + keep;
  return expiresAtMs === null || deadline < expiresAtMs ? deadline : expiresAtMs;
}
