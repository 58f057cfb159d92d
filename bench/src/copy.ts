/**
 * `taskvault copy` from Redis to PostgreSQL at each `--scale` size (1M with `--scale 1m`): the
 * Redis namespace is filled through `restore`, then the built command runs as a child process
 * — as a user runs it — while its peak resident memory (`VmHWM` in /proc) is sampled. Reports
 * tasks per second and the peak RSS against the 200 MB bound of a bounded-memory copy.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AgentTask, TaskStore } from '@taskvault/core';
import { startPostgres, startRedis } from '@taskvault/test-servers';
import { storedTaskDocument } from './document.js';
import { createProgress, type ProgressStream } from './progress.js';
import { formatSize } from './scale.js';

/** One copy at one size. */
export interface CopyPoint {
  size: number;
  /** Tasks the command read and restored. */
  copied: number;
  seconds: number;
  tasksPerSec: number;
  /** Peak resident set of the `taskvault copy` process, MB. */
  peakRssMb: number;
}

/** What a copy run found: its points, or why it could not run. */
export interface CopyRecord {
  from: 'redis';
  to: 'postgres';
  points: CopyPoint[];
  error: string | null;
}

/** The bound a copy in bounded memory must stay under (the README's "Moving data"). */
export const COPY_RSS_LIMIT_MB = 200;
const NAMESPACE = 'bench-copy';

function cliBin(): string {
  const pkg = createRequire(import.meta.url).resolve('@taskvault/cli/package.json');
  return join(dirname(pkg), 'dist/bin.js');
}

/** The tasks to preload: the bench document, each with its own id and creation time. */
function* documents(count: number, from: number): Generator<AgentTask> {
  for (let i = from; i < from + count; i++) {
    const doc = storedTaskDocument(`c-${i}`);
    yield {
      ...doc,
      createdAt: new Date(doc.createdAt.getTime() + i),
      updatedAt: new Date(doc.updatedAt.getTime() + i),
    };
  }
}

/** Peak RSS of a live process in MB, or 0 once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the command, sampling its peak RSS every 100 ms until it exits. */
function runCopy(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin(), ...args], { env: { PATH: process.env.PATH ?? '' } });
    let peak = 0;
    const timer = setInterval(() => {
      peak = Math.max(peak, peakRssMb(child.pid!));
    }, 100);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // The last sample before exit: the kernel keeps /proc/<pid> until the parent reaps it.
    child.on('exit', () => {
      peak = Math.max(peak, peakRssMb(child.pid!));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        peakRssMb: peak,
      });
    });
  });
}

async function openStore(backend: 'redis' | 'postgres', url: string): Promise<TaskStore> {
  const { createTaskStore } = await import('@taskvault/core');
  return createTaskStore(
    backend === 'redis'
      ? { backend, namespace: NAMESPACE, redis: { url } }
      : {
          backend,
          namespace: NAMESPACE,
          postgres: { connectionString: url },
          options: { sweepIntervalMs: 0 },
        },
  );
}

/**
 * Copies `sizes` tasks (ascending; each size tops the source up and copies into a fresh database)
 * from Redis to PostgreSQL with the `taskvault` command.
 */
export async function measureCopy(sizes: readonly number[], log: ProgressStream): Promise<CopyRecord> {
  const record: CopyRecord = { from: 'redis', to: 'postgres', points: [], error: null };
  const redis = await startRedis();
  const postgres = await startPostgres();
  try {
    const source = await openStore('redis', redis.url);
    let loaded = 0;
    try {
      for (const size of sizes) {
        const progress = createProgress(`copy: preload redis to ${formatSize(size)}`, size - loaded, log);
        await source.restore(documents(size - loaded, loaded), {
          batchSize: 1000,
          onProgress: (p) => progress.update(p.restored),
        });
        progress.finish();
        loaded = size;
        const target = await postgres.createDatabase();
        log.write(`copy: taskvault copy redis -> postgres, ${formatSize(size)} tasks\n`);
        const run = await runCopy([
          'copy',
          '--from',
          redis.url,
          '--to',
          target,
          '--namespace',
          NAMESPACE,
          '--batch-size',
          '1000',
          '--json',
        ]);
        if (run.code !== 0) throw new Error(`taskvault copy exited ${run.code}: ${run.stderr.trim()}`);
        const summary = JSON.parse(run.stdout) as { read: number; restored: number; elapsedMs: number };
        if (summary.restored !== size)
          throw new Error(`taskvault copy restored ${summary.restored} of ${size} tasks`);
        const point: CopyPoint = {
          size,
          copied: summary.restored,
          seconds: summary.elapsedMs / 1000,
          tasksPerSec: Math.round((summary.restored * 1000) / Math.max(1, summary.elapsedMs)),
          peakRssMb: Math.round(run.peakRssMb),
        };
        record.points.push(point);
        log.write(
          `copy: ${formatSize(size)} tasks in ${point.seconds.toFixed(1)} s, ${point.tasksPerSec}/s, peak RSS ${point.peakRssMb} MB\n`,
        );
      }
    } finally {
      await source.close();
    }
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
    log.write(`copy: failed: ${record.error}\n`);
  } finally {
    await Promise.allSettled([redis.destroy(), postgres.destroy()]);
  }
  return record;
}

/** The report's section: one row per size. */
export function copySection(record: CopyRecord | null | undefined): string | null {
  if (!record) return null;
  const head = [
    '### Copy: `taskvault copy` Redis -> PostgreSQL',
    '',
    `The command as a child process, \`--batch-size 1000\`; peak RSS sampled from /proc (bound: ${COPY_RSS_LIMIT_MB} MB).`,
    '',
    '| tasks | seconds | tasks/s | peak RSS MB | under bound |',
    '| --- | --- | --- | --- | --- |',
  ];
  const rows = record.points.map(
    (p) =>
      `| ${formatSize(p.size)} | ${p.seconds.toFixed(1)} | ${p.tasksPerSec} | ${p.peakRssMb} | ${p.peakRssMb < COPY_RSS_LIMIT_MB ? 'yes' : '**no**'} |`,
  );
  const error = record.error === null ? [] : ['', `error: ${record.error.replace(/\s+/g, ' ')}`];
  return [...head, ...rows, ...error].join('\n');
}
