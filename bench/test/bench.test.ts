import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from '../src/backends/types.js';
import { main } from '../src/cli.js';
import { median, percentile } from '../src/harness.js';
import { parseOptions } from '../src/options.js';
import type { BenchResults } from '../src/results.js';
import { parseScale } from '../src/scale.js';

function sink() {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

describe('pnpm bench --quick on memory', () => {
  it('times every operation against its raw baseline, measures the 10k scale point and writes JSON', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'taskvault-bench-'));
    const stdout = sink();
    const stderr = sink();
    try {
      const outcome = await main(['--quick', '--backends', 'memory'], { stdout, stderr, resultsDir: dir });
      expect(outcome.exitCode, stderr.text).toBe(0);
      const results = outcome.results!;
      const memory = results.backends[0]!;
      expect(memory.error).toBeNull();
      expect(memory.cells.map((c) => `${c.op}@${c.concurrency}`)).toEqual(
        OP_NAMES.flatMap((op) => [`${op}@1`, `${op}@32`]),
      );
      for (const cell of memory.cells) {
        expect(cell.error).toBeNull();
        expect(cell.result!.taskvault.opsPerSec).toBeGreaterThan(0);
        expect(cell.result!.raw.opsPerSec).toBeGreaterThan(0);
        expect(Number.isFinite(cell.result!.ratio)).toBe(true);
      }
      const [point] = memory.scale;
      expect(point?.size).toBe(10_000);
      expect(point?.cleanup.removed).toBe(1_000);

      expect(stdout.text).toContain('## memory');
      expect(stdout.text).toContain('| patch (appendItems) | 32 |');
      expect(stdout.text).toContain('## Targets');
      const written = JSON.parse(await fs.readFile(outcome.jsonFile!, 'utf8')) as BenchResults;
      expect(written.backends[0]?.cells).toHaveLength(OP_NAMES.length * 2);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('prints the help and runs nothing for --help', async () => {
    const stdout = sink();
    const outcome = await main(['--help'], { stdout, stderr: sink() });
    expect(outcome).toMatchObject({ exitCode: 0, results: null });
    expect(stdout.text).toContain('--backends');
  });

  it('rejects an unknown backend with exit code 2, naming the flag', async () => {
    const stderr = sink();
    const outcome = await main(['--backends', 'mongo'], { stdout: sink(), stderr });
    expect(outcome.exitCode).toBe(2);
    expect(stderr.text).toContain('--backends: unknown "mongo"');
  });
});

describe('bench helpers', () => {
  it('percentile uses the nearest rank of sorted latencies', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(new Float64Array(0), 0.5)).toBeNaN();
  });

  it('median ignores non-finite rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, Number.NaN, 2, 3])).toBe(2.5);
  });

  it('--scale 1m measures 10k first, then 1M', () => {
    expect(parseScale('10k')).toEqual([10_000]);
    expect(parseScale('1m')).toEqual([10_000, 1_000_000]);
    expect(parseScale('none')).toEqual([]);
    expect(() => parseScale('lots')).toThrow('--scale');
  });

  it('--quick shortens every cell', () => {
    const parsed = parseOptions(['--quick'], null);
    expect(parsed.help).toBe(false);
    if (!parsed.help) expect(parsed.options).toMatchObject({ rounds: 1, durationMs: 60, resultsDir: null });
  });
});
