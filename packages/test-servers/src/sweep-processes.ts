/**
 * One sweeper per namespace across processes (SPEC "Retention"), checked with real processes:
 * several children open a store on one namespace with a short sweep interval and lease, and print
 * their `onSweep` events; the parent keeps writing tasks the retention policy soon ends. Exactly
 * one child sweeps; once it is SIGKILLed, another takes over no sooner than its lease allowed and
 * no later than the lease plus a few intervals, and is then the only one sweeping.
 *
 * The backend's test supplies the children (a fixture running the built package) that print
 * `ready` once their store answered, then `sweep <SweepEvent JSON>` per event.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { SweepEvent } from '@taskvault/core';

/** A child store process and what it printed. */
export interface SweepChild {
  readonly child: ChildProcess;
  /** Its sweep events, each with the parent's clock when it arrived. */
  readonly events: (SweepEvent & { seenAt: number })[];
  /** Resolves once it printed `ready`; rejects if it exits first. */
  readonly ready: Promise<void>;
}

/** Follows the lines of a child started by a backend's fixture. */
export function followSweepChild(child: ChildProcess): SweepChild {
  const events: (SweepEvent & { seenAt: number })[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`sweeper child exited (${code ?? signal}) before it was ready`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') resolve();
      else if (line.startsWith('sweep ')) events.push({ ...JSON.parse(line.slice(6)), seenAt: Date.now() });
    });
  });
  ready.catch(() => {});
  return { child, events, ready };
}

export interface OneSweeperScenario {
  /** Starts one child store on the shared namespace (stdout piped). */
  spawn(): ChildProcess;
  /** How many children; default 10. */
  processes?: number;
  /** The children's `sweep.intervalMs` and `sweep.leaseMs`. */
  intervalMs: number;
  leaseMs: number;
  /** Writes one task that the children's retention policy ends soon after. */
  writeDoomed(): Promise<unknown>;
}

/** What the scenario saw, for the test's own assertions and its log. */
export interface OneSweeperOutcome {
  /** Index of the first holder (killed) and of the one that took over. */
  first: number;
  second: number;
  /** Milliseconds from the kill to the successor's first sweep. */
  takeoverMs: number;
  /** Tasks the children's sweeps removed in all. */
  removed: number;
  /** Tasks the parent wrote. */
  written: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function within<T>(ms: number, what: string, probe: () => T | undefined): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(20);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Runs the scenario; throws an Error saying what went wrong (two sweepers at once, no takeover,
 * a takeover before the dead holder's lease could have run out). Kills every child it started.
 */
export async function checkOneSweeper(scenario: OneSweeperScenario): Promise<OneSweeperOutcome> {
  const { intervalMs, leaseMs } = scenario;
  const children = Array.from({ length: scenario.processes ?? 10 }, () => followSweepChild(scenario.spawn()));
  let writing = true;
  let written = 0;
  let writeError: unknown = null;
  const writer = (async () => {
    while (writing) {
      try {
        await scenario.writeDoomed();
        written++;
      } catch (error) {
        writeError = error;
        return;
      }
      await sleep(40);
    }
  })();
  try {
    await Promise.all(children.map((c) => c.ready));
    const sweepers = (since: number) =>
      children.flatMap((c, i) => (c.events.some((e) => e.seenAt >= since) ? [i] : []));

    // phase 1: one holder, and only one, over many ticks of all children
    const start = Date.now();
    const first = await within(leaseMs + 10 * intervalMs + 5000, 'a first sweep', () => sweepers(start)[0]);
    await sleep(Math.max(6 * intervalMs, 1200));
    const phase1 = sweepers(start);
    if (phase1.length !== 1)
      throw new Error(
        `children ${phase1.join(', ')} all swept within ${Date.now() - start} ms: one sweeper expected`,
      );

    // phase 2: the holder dies; its lease keeps the others off until it runs out
    const holder = children[first]!;
    holder.child.kill('SIGKILL');
    await exited(holder.child);
    const killedAt = Date.now();
    const second = await within(
      leaseMs + 10 * intervalMs + 5000,
      'a takeover after the holder was killed',
      () => sweepers(killedAt).find((i) => i !== first),
    );
    const successorFirst = children[second]!.events.find((e) => e.seenAt >= killedAt)!.seenAt;
    const takeoverMs = successorFirst - killedAt;
    // the holder renewed at its last tick, at most an interval (+ jitter) before the kill
    const earliest = leaseMs - intervalMs - Math.min(intervalMs / 10, 1000) - 50;
    if (takeoverMs < earliest)
      throw new Error(
        `child ${second} swept ${takeoverMs} ms after the holder died, before its ${leaseMs} ms lease could run out`,
      );
    await sleep(Math.max(6 * intervalMs, 1200));
    const phase2 = sweepers(killedAt);
    if (phase2.length !== 1)
      throw new Error(`after the takeover children ${phase2.join(', ')} all swept: one sweeper expected`);
    // the write in flight resolves before `written` is read: a sweeper may already have removed
    // the task it created, and `removed <= written - left` must count it on both sides
    writing = false;
    await writer;
    if (writeError !== null) throw writeError;
    const removed = children.reduce((n, c) => n + c.events.reduce((m, e) => m + e.removed, 0), 0);
    return { first, second, takeoverMs, removed, written };
  } finally {
    writing = false;
    await writer;
    for (const c of children) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => exited(c.child)));
  }
}
