// Adds up vitest's "Tests  N passed | M failed | K skipped" lines from a log into one closing line.
import { readFileSync } from 'node:fs';

const ESC = String.fromCharCode(27);
const text = readFileSync(process.argv[2], 'utf8').replaceAll(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of text.split('\n')) {
  const m = /^\s*(?:\S+:\s+)?Tests\s+(.*)$/.exec(line);
  if (!m) continue;
  for (const part of m[1].split('|')) {
    const p = /(\d+)\s+(passed|failed|skipped)/.exec(part);
    if (p) totals[p[2]] += Number(p[1]);
  }
}
console.log(
  `${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
);
