/** What every command's registration shares: the store flags, output, and store lifetimes. */

import { TASK_STATUSES, type TaskStatus, type TaskStore } from '@taskvault/core';
import { type Command, Option } from 'commander';
import { usageError } from '../errors.js';
import type { CliIo, OutStream } from '../io.js';
import { BACKEND_CHOICES, configFromFlags, openStore, type StoreFlags } from '../target.js';

/** Adds `--backend`, `--namespace`, `--redis-url`, `--postgres-url`, `--sqlite-path`. */
export function storeFlags(command: Command): Command {
  return command
    .addOption(
      new Option('--backend <name>', 'backend (else TASKVAULT_BACKEND, default memory)').choices(
        BACKEND_CHOICES,
      ),
    )
    .option('--namespace <name>', 'namespace (else TASKVAULT_NAMESPACE, default "default")')
    .option('--redis-url <url>', 'redis:// or rediss:// URL (else TASKVAULT_REDIS_URL)')
    .option('--postgres-url <url>', 'postgres:// URL (else TASKVAULT_POSTGRES_URL)')
    .option('--sqlite-path <path>', 'SQLite file (else TASKVAULT_SQLITE_PATH)');
}

/** Adds `--json`. */
export function jsonFlag(command: Command): Command {
  return command.option('--json', 'print the result as one JSON object (for scripts)');
}

/** `--status` values, checked. */
export function statusOption(): Option {
  return new Option('--status <status...>', 'only tasks in these statuses').choices(TASK_STATUSES);
}

/** The statuses `--status` gave, or undefined for all. */
export function statuses(value: unknown): TaskStatus[] | undefined {
  return Array.isArray(value) && value.length > 0 ? (value as TaskStatus[]) : undefined;
}

/** A positive integer flag. @throws CliError USAGE */
export function positiveInt(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1)
      throw usageError(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };
}

/** Opens the store the flags (and, when given, a URL flag) name, runs `body`, and closes it. */
export async function withStore<T>(
  io: CliIo,
  flags: StoreFlags,
  url: { value: string; flag: string } | undefined,
  body: (store: TaskStore) => Promise<T>,
): Promise<T> {
  const store = await openStore(configFromFlags(flags, url), io);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** The URL flag a command was given, if any, by its name. */
export function urlFlag(
  options: Record<string, unknown>,
  ...names: string[]
): { value: string; flag: string } | undefined {
  const given = names.filter((n) => typeof options[n] === 'string');
  if (given.length > 1) throw usageError(`give only one of ${given.map((n) => `--${n}`).join(', ')}`);
  const name = given[0];
  return name === undefined ? undefined : { value: options[name] as string, flag: `--${name}` };
}

/** Prints a result: one JSON line with `--json`, else the human text. */
export function output(stream: OutStream, json: boolean, value: unknown, human: string): void {
  stream.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

/** `1.23 s`, `45 ms`. */
export function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`;
}

/** Tasks per second over `ms`. */
export function rate(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : count;
}
