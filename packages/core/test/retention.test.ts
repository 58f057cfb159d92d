import { describe, expect, it } from 'vitest';
import { checkRetention, formatRetention, liveUntil, parseRetention } from '../src/adapter.js';
import { resolveConfig } from '../src/config.js';
import { checkSweep } from '../src/sweeper.js';

function configError(fn: () => unknown): { code?: string; path?: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; path?: string; message: string };
  }
  throw new Error('did not throw');
}

describe('retention policy', () => {
  it('reads durations as TASKVAULT_TTL does, numbers as ms', () => {
    expect(checkRetention({ completed: '7d', failed: 1500, cancelled: '90s' })).toEqual({
      completed: 7 * 86_400_000,
      failed: 1500,
      cancelled: 90_000,
    });
    expect(checkRetention(undefined)).toBeNull();
    expect(checkRetention({})).toBeNull();
  });

  it('refuses active statuses, unknown statuses and bad durations, naming the field', () => {
    const active = configError(() => checkRetention({ running: '1d' }));
    expect(active).toMatchObject({ code: 'CONFIG_INVALID', path: 'retention.running' });
    expect(active.message).toContain('completed, failed, cancelled');
    expect(configError(() => checkRetention({ completed: 'soon' }))).toMatchObject({
      path: 'retention.completed',
    });
    expect(configError(() => checkRetention({ completed: 0 }))).toMatchObject({
      path: 'retention.completed',
    });
    expect(configError(() => checkRetention({ failed: -5 }))).toMatchObject({ path: 'retention.failed' });
    expect(configError(() => checkRetention('7d'))).toMatchObject({ path: 'retention' });
  });

  it('parses TASKVAULT_RETENTION and names the variable in every error', () => {
    expect(parseRetention('completed=7d, failed=30d,cancelled=1d')).toEqual({
      completed: 7 * 86_400_000,
      failed: 30 * 86_400_000,
      cancelled: 86_400_000,
    });
    expect(parseRetention('')).toBeNull();
    for (const bad of ['completed', 'completed=7d,completed=1d', 'paused=1h', 'failed=forever']) {
      const error = configError(() => parseRetention(bad));
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', path: 'TASKVAULT_RETENTION' });
    }
    expect(configError(() => parseRetention('paused=1h')).message).toContain('paused');
  });

  it('is resolved from the environment, config winning', () => {
    const env = { TASKVAULT_RETENTION: 'completed=1h' };
    expect(resolveConfig({}, env).retention).toEqual({ completed: 3_600_000 });
    expect(resolveConfig({ retention: { failed: '2h' } }, env).retention).toEqual({ failed: 7_200_000 });
    expect(resolveConfig({}, {}).retention).toBeNull();
  });

  it('formats a policy as the variable writes it', () => {
    expect(formatRetention(checkRetention({ completed: '7d', failed: 1500 }))).toBe(
      'completed=7d,failed=1500ms',
    );
    expect(formatRetention(null)).toBe('none');
  });

  it('gives the earlier of expiresAt and the retention deadline, only in a retained status', () => {
    const policy = checkRetention({ completed: 1000 });
    expect(liveUntil(policy, 'completed', 5000, null)).toBe(6000);
    expect(liveUntil(policy, 'completed', 5000, 5500)).toBe(5500);
    expect(liveUntil(policy, 'completed', 5000, 9000)).toBe(6000);
    expect(liveUntil(policy, 'running', 5000, null)).toBeNull();
    expect(liveUntil(policy, 'failed', 5000, 7000)).toBe(7000);
    expect(liveUntil(null, 'completed', 5000, null)).toBeNull();
  });
});

describe('sweep option', () => {
  it('is on by default only when asked to be', () => {
    expect(checkSweep(undefined, false)).toBeNull();
    expect(checkSweep(undefined, true)).toMatchObject({
      intervalMs: 60_000,
      leaseMs: 180_000,
      batchSize: 1000,
    });
    expect(checkSweep(false, true)).toBeNull();
    expect(checkSweep({ intervalMs: 200 }, false)).toMatchObject({ intervalMs: 200, leaseMs: 1000 });
  });

  it('refuses a lease no longer than the interval, and unknown settings', () => {
    expect(configError(() => checkSweep({ intervalMs: 5000, leaseMs: 5000 }, true))).toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'sweep.leaseMs',
    });
    expect(configError(() => checkSweep({ every: 5 }, true))).toMatchObject({ path: 'sweep.every' });
    expect(configError(() => checkSweep({ batchSize: 0 }, true))).toMatchObject({ path: 'sweep.batchSize' });
    expect(configError(() => checkSweep('often', true))).toMatchObject({ path: 'sweep' });
  });
});
