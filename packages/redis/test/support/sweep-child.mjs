// One store process of the one-sweeper-per-namespace test (sweep.int.test.ts): a store on the
// namespace with retention { completed: 50 } and a short sweep interval and lease, printing
// `ready` once the server answered, then `sweep <SweepEvent JSON>` per onSweep event, until it is
// killed. It runs the built package (dist).
// argv: url namespace intervalMs leaseMs
import { RedisTaskStore } from '../../dist/index.js';

const [url, namespace, intervalMs, leaseMs] = process.argv.slice(2);
const store = new RedisTaskStore({
  url,
  namespace,
  retention: { completed: 50 },
  sweep: { intervalMs: Number(intervalMs), leaseMs: Number(leaseMs) },
  onSweep: (event) => process.stdout.write(`sweep ${JSON.stringify(event)}\n`),
});
await store.count();
process.stdout.write('ready\n');
// the sweeper's timer does not hold the process open: this does, until the parent kills it
setInterval(() => {}, 60_000);
