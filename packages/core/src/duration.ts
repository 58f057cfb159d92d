/** Durations as people write them in environment variables. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The longest default TTL configuration accepts: 365,000 days (about 1000 years). Any expiry
 * computed from it lands well before the end of year 9999, the last instant a store accepts.
 */
export const MAX_TTL_MS = 365_000 * UNIT_MS.d!;

/**
 * Parses `90s`, `15m`, `2h`, `7d`, `500ms`, or a bare number of seconds, into milliseconds.
 * `0` means "no TTL" and returns `null`. Returns `undefined` for text it cannot read — and for
 * an amount past `Number.MAX_SAFE_INTEGER` milliseconds, which no clock arithmetic survives —
 * so the caller can name the variable it came from.
 */
export function parseDuration(text: string): number | null | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m) return undefined;
  const amount = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = Math.round(amount * (UNIT_MS[unit] ?? 1000));
  if (!Number.isSafeInteger(ms)) return undefined;
  return ms === 0 ? null : ms;
}
