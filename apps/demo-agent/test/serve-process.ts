/** Runs `node dist/cli.js serve` as a child process, for the multi-process tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { CLI } from './build.js';
import { eventually } from './helpers.js';

/** A running `demo-agent serve` child. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything it printed so far (pino JSON lines and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name) once it exited. */
  exited: Promise<number | string>;
}

/** Only what the child needs: no TASKVAULT_* from the test's own environment leaks in. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG'])
    if (process.env[key] !== undefined) env[key] = process.env[key];
  return env;
}

/** Starts `serve` on `port` with `args` and `env`, and waits until its /healthz answers 200. */
export async function startServe(
  port: number,
  args: string[],
  env: Record<string, string>,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), ...args], {
    env: { ...baseEnv(), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  await eventually(
    `demo-agent serve on port ${port} answers /healthz`,
    async () => {
      if (gone) throw new Error(`demo-agent serve exited during startup:\n${output}`);
      try {
        return (await fetch(`${url}/healthz`)).status === 200;
      } catch {
        return false;
      }
    },
    30_000,
  );
  return { child, url, output: () => output, exited };
}

/** JSON over HTTP, throwing with the body on an unexpected status. */
export async function http<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}
