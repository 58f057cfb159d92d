import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { DEFAULT_WAIT_MS } from './wait.js';

export interface SpawnServerOptions {
  /** stdout and stderr of the server are appended here, so a failed start can quote them. */
  logFile: string;
  cwd: string;
  /** Run as this OS user (only possible when we are root; postgres refuses to run as root). */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Spawns a long-running server as a direct child of this process. A direct child (rather than a
 * daemonized one) is reaped by Node, so a killed server never lingers as a zombie that still "owns"
 * its pid file, and its exit is observable.
 */
export function spawnServer(command: string, args: string[], opts: SpawnServerOptions): ChildProcess {
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
    return spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
  } finally {
    // the child holds its own copy of the descriptor
    fs.closeSync(fd);
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true once the child has exited, false if it is still running after timeoutMs. */
export function waitForExit(child: ChildProcess, timeoutMs = DEFAULT_WAIT_MS): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Sends a signal, ignoring "no such process" (the target may have exited in the meantime). */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Parent pid and state of a process from /proc/PID/stat; null if it is gone (or not Linux). */
function readStat(pid: number): { ppid: number; state: string } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'; the fields we
  // want come after the LAST ')': " state ppid ...".
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', ppid: Number(rest[1]) };
}

/**
 * pid and all its descendants, parents first. Postgres runs one process per backend plus helpers
 * (checkpointer, walwriter, ...); freezing or crashing "the server" must reach all of them.
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

/** Gone or a zombie: either way it no longer holds ports, files or shared memory. */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = readStat(pid);
  return stat === null || stat.state === 'Z';
}

/** The last `lines` lines of a log file, for error messages; '' if it cannot be read. */
export function logTail(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short-lived tool (initdb, psql, pg_isready) to completion and collects its output. Bounded
 * by timeoutMs: a hung tool is killed and reported instead of hanging the test run.
 */
export function run(
  command: string,
  args: string[],
  opts: { cwd?: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
