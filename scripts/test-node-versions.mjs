// The Node versions users run, side by side: core, memory (with the conformance suite) and the
// pack-and-install test on Node 24, the pack-and-install test on Node 22. The two runs mostly wait
// on the registry and compile better-sqlite3 each, so running them together saves CI minutes;
// each one's output is printed whole when it ends, so the logs do not interleave.
import { spawn } from 'node:child_process';

const RUNS = [
  ['24', '@taskvault/core', '@taskvault/memory', '@taskvault/pack-install-test'],
  ['22', '@taskvault/pack-install-test'],
];

function run([major, ...packages]) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/test-on-node.mjs', major, ...packages], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('close', (code) => {
      process.stdout.write(Buffer.concat(chunks));
      process.stdout.write(`== Node ${major}: ${code === 0 ? 'passed' : `failed (exit ${code})`}\n`);
      resolve(code ?? 1);
    });
  });
}

const codes = await Promise.all(RUNS.map(run));
process.exit(codes.every((c) => c === 0) ? 0 : 1);
