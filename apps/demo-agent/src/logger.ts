/** The demo's pino logger: JSON lines, one per step, level from flags or LOG_LEVEL. */
import { type DestinationStream, type Logger, pino } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** A pino level; falls back to `LOG_LEVEL`, then `fallback`. */
  level?: string | undefined;
  /** Only warnings and errors. */
  quiet?: boolean;
  /** The level when neither `level` nor `LOG_LEVEL` is set. */
  fallback?: string;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

/** The level a logger gets from the options and the environment. @throws Error for an unknown level */
export function logLevel(options: LoggerOptions): string {
  const level =
    options.level ?? (options.quiet ? 'warn' : (process.env.LOG_LEVEL ?? options.fallback ?? 'info'));
  if (!LEVELS.includes(level))
    throw new Error(`unknown log level ${JSON.stringify(level)}; use one of ${LEVELS.join(', ')}`);
  return level;
}

/** A pino logger for the CLI. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = { level: logLevel(options), base: { pid: process.pid } };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
