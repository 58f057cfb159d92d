/**
 * Timestamps as the source systems write them: pydantic's ISO-8601 (`2025-01-15T09:30:00.123456`,
 * with `Z` or an offset when the datetime was aware) and PostgreSQL's text form of `timestamp`
 * (`2025-01-15 09:30:00.123456`, `+00` or `+05:30` for `timestamptz`). A time without an offset
 * is read as UTC. Fractions past milliseconds are cut (a Date holds milliseconds).
 */
import { LegacyProblem } from './problem.js';

const TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The Date a source timestamp stands for. @throws LegacyProblem naming `path` */
export function legacyTime(path: string, value: unknown): Date {
  if (value instanceof Date) return value;
  const m = typeof value === 'string' ? TIME.exec(value.trim()) : null;
  if (m === null) throw new LegacyProblem(path, `${JSON.stringify(value)} is not a timestamp`);
  const fraction = (m[3] ?? '').padEnd(3, '0').slice(0, 3);
  let zone = m[4] ?? 'Z';
  if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const seconds = m[2]!.length === 5 ? `${m[2]}:00` : m[2];
  const ms = Date.parse(`${m[1]}T${seconds}.${fraction}${zone.toUpperCase()}`);
  if (Number.isNaN(ms)) throw new LegacyProblem(path, `${JSON.stringify(value)} is not a valid timestamp`);
  return new Date(ms);
}
