import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP_NAMES } from '../src/backends/types.js';
import { main } from '../src/cli.js';
import { median, percentile } from '../src/harness.js';
import { parseOptions } from '../src/options.js';
import { PEERS } from '../src/peers/index.js';
import { PEER_OPS } from '../src/peers/types.js';
import type { BenchResults } from '../src/results.js';
import { parseScale } from '../src/scale.js';
import { parseWriteCost, type WriteCostPoint, writeCostRows } from '../src/write-cost.js';

function results(outcome: { results: BenchResults | null }): BenchResults {
  return outcome.results!;
}

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
      expect(memory.writeCostError).toBeNull();
      expect(memory.writeCost.map((p) => `+${p.change}@${p.size}`)).toEqual([
        '+1@10',
        '+1@1000',
        '+1@20000',
        '+1000@10',
        '+1000@1000',
        '+1000@20000',
      ]);
      for (const p of memory.writeCost) {
        expect(p.error).toBeNull();
        expect(p.ms).toBeGreaterThan(0);
      }
      expect(stdout.text).toContain('## Write cost');
      expect(stdout.text).toMatch(/\| memory \| per appended item \(µs\) \|/);
      expect(results.targets.some((t) => t.what.startsWith('per appended item (µs) growth 10 -> 20k'))).toBe(
        true,
      );

      expect(memory.feedCacheError).toBeNull();
      expect(memory.feedCache!.writes.map((w) => w.op)).toEqual(['create', 'update', 'patch']);
      for (const w of memory.feedCache!.writes) expect(w.watched.opsPerSec).toBeGreaterThan(0);
      expect(memory.feedCache!.hit!.cached.p50Ms).toBeGreaterThanOrEqual(0);
      expect(memory.feedCache!.delay!.samples).toBe(40);
      expect(stdout.text).toContain('### Change feed and cache');
      expect(stdout.text).toMatch(/\| memory \| patch \| /);

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

describe('pnpm bench --peers --quick', () => {
  it('runs every peer adapter of every backend in the same rounds as taskvault and raw', async () => {
    const stdout = sink();
    const stderr = sink();
    const outcome = await main(
      [
        '--peers',
        '--quick',
        '--backends',
        'memory,redis,postgres',
        '--ops',
        'create,load,update',
        '--concurrency',
        '1,4',
        '--scale',
        'none',
        '--write-cost',
        'none',
        '--no-results',
      ],
      { stdout, stderr },
    );
    expect(outcome.exitCode, stderr.text).toBe(0);
    const backends = outcome.results!.backends;
    for (const name of ['memory', 'redis', 'postgres'] as const) {
      const backend = backends.find((b) => b.name === name)!;
      expect(backend.error, `${name}: ${stderr.text}`).toBeNull();
      expect(backend.peers.map((p) => p.label)).toEqual(PEERS[name].map((p) => p.label));
      for (const peer of backend.peers) expect(peer.error, `${name} ${peer.label}`).toBeNull();
      expect(backend.cells).toHaveLength(PEER_OPS.length * 2);
      for (const cell of backend.cells) {
        const peers = cell.extras.filter((e) => e.role === 'peer');
        expect(peers.map((e) => e.label)).toEqual(PEERS[name].map((p) => p.label));
        for (const extra of cell.extras) {
          expect(extra.result.opsPerSec, `${name} ${cell.op} ${extra.label}`).toBeGreaterThan(0);
          expect(Number.isFinite(extra.ratio)).toBe(true);
        }
      }
      expect(stdout.text).toContain(`### ${name}: taskvault and its peers`);
      expect(
        results(outcome).targets.some((t) => t.backend === name && t.what.startsWith('ahead of every peer')),
      ).toBe(true);
    }
    // Postgres: taskvault and raw at the store's default pool, next to the same pool.
    const postgres = backends.find((b) => b.name === 'postgres')!;
    expect(postgres.defaultPool).toBe(10);
    const update = postgres.cells.find((c) => c.op === 'update' && c.concurrency === 4)!;
    const tvDefault = update.extras.find((e) => e.label === 'taskvault (pool 10, default)')!;
    expect(tvDefault.samePoolRatio).toBeGreaterThan(0);
    expect(update.extras.find((e) => e.label === 'raw (pool 10)')?.role).toBe('raw');
    expect(stdout.text).toContain('| raw (pool 4) |');
  }, 180_000);
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

  it('--no-feed and --no-cache skip the parts of the feed and cache section', () => {
    const parsed = parseOptions(['--no-feed'], null);
    if (!parsed.help) expect(parsed.options).toMatchObject({ feed: false, cache: true });
    const both = parseOptions(['--no-feed', '--no-cache'], null);
    if (!both.help) expect(both.options).toMatchObject({ feed: false, cache: false });
    const none = parseOptions([], null);
    if (!none.help) expect(none.options).toMatchObject({ feed: true, cache: true });
  });

  it('--quick shortens every cell', () => {
    const parsed = parseOptions(['--quick'], null);
    expect(parsed.help).toBe(false);
    if (!parsed.help) expect(parsed.options).toMatchObject({ rounds: 1, durationMs: 60, resultsDir: null });
  });

  it('--peers is the longer reference run; explicit flags still win', () => {
    const plain = parseOptions([], null);
    if (!plain.help) expect(plain.options).toMatchObject({ rounds: 3, durationMs: 150, warmupMs: 50 });
    const peers = parseOptions(['--peers'], null);
    if (!peers.help)
      expect(peers.options).toMatchObject({ peers: true, rounds: 5, durationMs: 250, warmupMs: 100 });
    const chosen = parseOptions(['--peers', '--rounds', '2', '--duration-ms', '90'], null);
    if (!chosen.help) expect(chosen.options).toMatchObject({ rounds: 2, durationMs: 90, warmupMs: 100 });
    expect(plain.help || peers.help || chosen.help).toBe(false);
  });
});

describe('write cost on big tasks', () => {
  const sizes = [10, 1_000, 20_000];
  /** Points of a store whose patch of k items onto n costs `model(n, k)` ms. */
  const pointsOf = (model: (n: number, k: number) => number): WriteCostPoint[] =>
    [1, 1_000].flatMap((change) =>
      sizes.map((size) => ({ size, change, ms: model(size, change), runs: [], error: null })),
    );

  it('passes a store whose patch costs the task size plus the change × log n', () => {
    const rows = writeCostRows(
      pointsOf((n, k) => 0.2 + 0.002 * n + 0.005 * k * Math.log2(n + 2)),
      sizes,
    );
    expect(rows.map((r) => r.label)).toEqual([
      'patch +1 item (ms)',
      'patch +1,000 items (ms)',
      'per appended item (µs)',
    ]);
    expect(rows.map((r) => r.worseThanLinear)).toEqual([false, false, false]);
  });

  it('flags a store that searches the whole task once per new request id (k × n)', () => {
    const rows = writeCostRows(
      pointsOf((n, k) => 0.2 + 0.002 * n + 0.005 * k + 0.00001 * k * n),
      sizes,
    );
    const perItem = rows.find((r) => r.label === 'per appended item (µs)')!;
    expect(perItem.worseThanLinear).toBe(true);
    expect(perItem.factor!).toBeGreaterThan(perItem.bound * 2);
  });

  it('a failed point leaves its growth unknown instead of guessing', () => {
    const points = pointsOf((n) => n / 1000);
    points[5] = { ...points[5]!, ms: null, error: 'BACKEND_UNAVAILABLE' };
    const rows = writeCostRows(points, sizes);
    expect(rows[1]!.factor).toBeNull();
    expect(rows[1]!.worseThanLinear).toBeNull();
    expect(rows[2]!.worseThanLinear).toBeNull();
  });

  it('--write-cost takes task sizes or none', () => {
    expect(parseWriteCost('10,1k,20k')).toEqual([10, 1_000, 20_000]);
    expect(parseWriteCost('20k,10')).toEqual([10, 20_000]);
    expect(parseWriteCost('none')).toEqual([]);
    expect(() => parseWriteCost('big')).toThrow('--write-cost');
  });
});
