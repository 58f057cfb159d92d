import { describe, expect, it } from 'vitest';
import { COPY_RSS_LIMIT_MB, copySection, measureCopy } from '../src/copy.js';

const quiet = { write: () => true, isTTY: false };

describe('copy measurement', () => {
  it('copies 2k tasks Redis -> PostgreSQL with the taskvault command and reports rate and peak RSS', async (ctx) => {
    const record = await measureCopy([2000], quiet);
    if (record.error !== null && /not a function|implement/i.test(record.error)) {
      ctx.skip(`the Redis or PostgreSQL store does not implement restore in this tree: ${record.error}`);
    }
    expect(record.error).toBeNull();
    const [point] = record.points;
    expect(point).toMatchObject({ size: 2000, copied: 2000 });
    expect(point!.tasksPerSec).toBeGreaterThan(0);
    expect(point!.peakRssMb).toBeGreaterThan(20);
    expect(point!.peakRssMb).toBeLessThan(COPY_RSS_LIMIT_MB);
    expect(copySection(record)).toMatch(/\| 2k \| [\d.]+ \| \d+ \| \d+ \| yes \|/);
  }, 300_000);

  it('the report says when the copy failed', () => {
    expect(
      copySection({ from: 'redis', to: 'postgres', points: [], error: 'taskvault copy exited 1' }),
    ).toContain('error: taskvault copy exited 1');
    expect(copySection(null)).toBeNull();
  });
});
