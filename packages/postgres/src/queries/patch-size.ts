/**
 * The size of a task after a patch, worked out on the server in O(change) from the size kept with
 * the row (sizes.ts): the kept `bytes`, plus what each patched part adds or takes away. Rows
 * without a kept size (written before migration 0003 or by hand) fall back to the merged JSON
 * text as PostgreSQL prints it, which is near but not exact.
 */
import { type Expression, type RawBuilder, sql } from 'kysely';
import type { Bind } from './template.js';

/** Which parts a patch has (and whether it checks the version). */
export interface PatchShape {
  status: boolean;
  session: boolean;
  user: boolean;
  expiry: boolean;
  data: boolean;
  items: boolean;
  version: boolean;
}

/** The values of a patch that its size expressions read (bytes of each new part, as JSON). */
export interface PatchSizeValues {
  now: number;
  status_bytes: number;
  session_bytes: number;
  user_bytes: number;
  expires_bytes: number;
  /** The appended items' bytes, each plus one comma. */
  items_bytes: number;
  /** `{ key: bytes of "key":value }` of the patched data keys, as JSON text. */
  data_sizes: string;
}

const col = (name: string) => sql.ref(`tasks.${name}`);
/** Bytes of a stored text column as a JSON string, or of `null`. */
const jsonText = (name: string) => sql<number>`coalesce(octet_length(to_json(${col(name)})::text), 4)`;
/** Bytes of a stored bigint column as a JSON number, or of `null`. */
const jsonNumber = (name: string) => sql<number>`coalesce(length(${col(name)}::text), 4)`;

/**
 * The exact size of the patched task, from the row (`tasks.*`) as it stands; null when the row
 * keeps no size.
 */
export function exactPatchedBytes<V extends PatchSizeValues>(
  b: Bind<V>,
  has: PatchShape,
): RawBuilder<number | null> {
  const parts: RawBuilder<number>[] = [
    sql`${col('bytes')}`,
    sql`length((${col('version')} + 1)::text) - length(${col('version')}::text)`,
    sql`length(${b('now')}::bigint::text) - ${jsonNumber('updated_at')}`,
  ];
  if (has.status) parts.push(sql`${b('status_bytes')}::bigint - ${jsonText('status')}`);
  if (has.session) parts.push(sql`${b('session_bytes')}::bigint - ${jsonText('session_id')}`);
  if (has.user) parts.push(sql`${b('user_bytes')}::bigint - ${jsonText('user_id')}`);
  if (has.expiry) parts.push(sql`${b('expires_bytes')}::bigint - ${jsonNumber('expires_at')}`);
  // the first item appended to an empty list brings no comma
  if (has.items) parts.push(sql`${b('items_bytes')}::bigint - (cardinality(${col('request_ids')}) = 0)::int`);
  if (has.data) {
    // a replaced member changes by its difference; a new one adds itself and a comma, but the
    // first member of an empty object has none
    parts.push(sql`(select coalesce(sum(case when ${col('data_sizes')} ? p.key
          then p.value::bigint - (${col('data_sizes')} ->> p.key)::bigint else p.value::bigint + 1 end), 0)
        - ((${col('data_sizes')} = '{}'::jsonb) and ${b('data_sizes')}::jsonb <> '{}'::jsonb)::int
        from jsonb_each_text(${b('data_sizes')}::jsonb) as p)`);
  }
  return sql<number | null>`(${sql.join(parts, sql` + `)})`;
}

/** What PostgreSQL prints of the merged task (key frame estimated): the fallback measure. */
const TASK_OVERHEAD_BYTES = 256;

/** The fallback measure of a patched task: `256 + id + data + items` as PostgreSQL prints them. */
export function printedTaskBytes(
  taskId: Expression<string>,
  data: Expression<unknown>,
  items: Expression<unknown>,
): RawBuilder<number> {
  return sql<number>`${TASK_OVERHEAD_BYTES} + octet_length(${taskId})
    + octet_length((${data})::text) + octet_length((${items})::text)`;
}

/** `data_sizes || $data_sizes`: the kept member sizes after the patch. */
export function patchedDataSizes<V extends PatchSizeValues>(b: Bind<V>): RawBuilder<string> {
  return sql<string>`${col('data_sizes')} || ${b('data_sizes')}::jsonb`;
}
