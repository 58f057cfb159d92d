/**
 * The exact serialized size of each task, kept with its row (see sizes.ts): `bytes` for the
 * whole task, `data_sizes` for each data member. Null until the store writes the row (rows of
 * older versions or written by hand): `migrate()` fills them in batches after this migration
 * (backfill.ts), and a patch on a row without them measures the merged task as PostgreSQL prints
 * it, as before.
 */
import type { Naming } from '../naming.js';

/** The DDL statements of migration 0003, in order: one column each (see schema-objects.ts). */
export function taskBytesStatements(n: Naming): string[] {
  const tasks = n.qualified(n.tasks);
  return [
    `ALTER TABLE ${tasks} ADD COLUMN IF NOT EXISTS bytes bigint`,
    `ALTER TABLE ${tasks} ADD COLUMN IF NOT EXISTS data_sizes jsonb`,
  ];
}
