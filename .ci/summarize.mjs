// Adds up vitest's "Tests  N passed | M failed | K skipped" lines from a log into one closing line,
// and lists the slowest test tasks (vitest's "Duration" per turbo task prefix), to keep CI short.
import { readFileSync } from 'node:fs';

const ESC = String.fromCharCode(27);
const text = readFileSync(process.argv[2], 'utf8').replaceAll(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');
const totals = { passed: 0, failed: 0, skipped: 0 };
const durations = new Map();
for (const line of text.split('\n')) {
  const d = /^(\S+):\s+Duration\s+([\d.]+)(m?s)/.exec(line);
  if (d) {
    const seconds = Number(d[2]) / (d[3] === 'ms' ? 1000 : 1);
    durations.set(d[1], (durations.get(d[1]) ?? 0) + seconds);
  }
  const m = /^\s*(?:\S+:\s+)?Tests\s+(.*)$/.exec(line);
  if (!m) continue;
  for (const part of m[1].split('|')) {
    const p = /(\d+)\s+(passed|failed|skipped)/.exec(part);
    if (p) totals[p[2]] += Number(p[1]);
  }
}
const slowest = [...durations].sort((a, b) => b[1] - a[1]).slice(0, 8);
if (slowest.length > 0)
  console.log(`slowest test tasks: ${slowest.map(([task, s]) => `${task} ${Math.round(s)}s`).join(', ')}`);
console.log(
  `${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
);
