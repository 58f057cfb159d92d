import { describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { taskToLine } from '../src/ndjson.js';
import { startProgress } from '../src/progress.js';
import { makeTasks, sink, testIo } from './helpers.js';

describe('progress', () => {
  it('draws count, rate and ETA on a terminal', () => {
    const stderr = sink(true);
    const progress = startProgress(stderr, 'export', 1000);
    progress.update(250);
    progress.update(1200); // count() said 1000, writers added more: the total grows
    progress.stop();
    progress.stop();
    const text = stderr.text();
    expect(text).toMatch(/export .*\d+\/1000 \| \d+ tasks\/s \| ETA/);
    expect(text).toContain('1200/1200');
  });

  it('prints nothing when stderr is not a terminal', () => {
    const stderr = sink(false);
    const progress = startProgress(stderr, 'export', 10);
    progress.update(5);
    progress.stop();
    expect(stderr.text()).toBe('');
  });
});

describe('run() in this process', () => {
  it('imports from the io it is given and returns the exit code instead of exiting', async () => {
    const input = makeTasks(5)
      .map((t) => `${taskToLine(t)}\n`)
      .join('');
    const { io, stdout, stderr } = testIo(input);
    expect(await run(['import', '--to', 'memory:', '--json'], io)).toBe(0);
    expect(JSON.parse(stdout.text())).toMatchObject({ restored: 5 });
    expect(stderr.text()).toBe('');
    const bad = testIo('{"taskId": 1}\n');
    expect(await run(['import', '--to', 'memory:'], bad.io)).toBe(1);
    expect(bad.stderr.text()).toMatch(/^taskvault: INVALID_INPUT: line 1: taskId: /);
    const usage = testIo();
    expect(await run(['import', '--on-conflict', 'merge'], usage.io)).toBe(2);
    expect(usage.stderr.text()).toMatch(
      /^taskvault: USAGE: option '--on-conflict <mode>' argument 'merge' is invalid/,
    );
  });
});

describe('import from a terminal', () => {
  it('is a usage error rather than a wait for typed input', async () => {
    const { io, stderr } = testIo();
    Object.assign(io.stdin, { isTTY: true });
    expect(await run(['import', '--to', 'memory:'], io)).toBe(2);
    expect(stderr.text()).toMatch(/^taskvault: USAGE: import reads NDJSON from a file or a pipe/);
  });
});
