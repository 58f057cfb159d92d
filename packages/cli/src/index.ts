/**
 * `@taskvault/cli`: the `taskvault` command, and the functions behind it for programs that move
 * tasks themselves (the same code the command runs).
 */
export { type CopyOptions, type CopySummary, copyTasks } from './commands/copy.js';
export { type ExportOptions, type ExportSummary, exportTasks } from './commands/export.js';
export { type ImportOptions, type ImportSummary, importTasks } from './commands/import.js';
export { migrationSql, runMigrations } from './commands/migrate.js';
export { collectStats, type Stats } from './commands/stats.js';
export { type CompareReport, compareStores, type Difference } from './compare.js';
export { CliError, type CliErrorCode, describeFailure, EXIT } from './errors.js';
export type { CliIo, OutStream } from './io.js';
export { lybicTask } from './legacy/lybic-task.js';
export {
  type LegacyImportOptions,
  type LegacyImportSummary,
  restoreLegacy,
} from './legacy/restore-legacy.js';
export { tealTask } from './legacy/teal-task.js';
export { canonicalJson, lineToTask, taskChecksum, taskToLine } from './ndjson.js';
export { buildProgram, run } from './program.js';
export { configFromFlags, configFromUrl, type StoreFlags } from './target.js';
export { walkTasks } from './walk.js';
