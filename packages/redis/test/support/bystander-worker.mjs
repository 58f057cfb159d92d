// A store on another namespace, in its own thread (so the writer's client-side work in the test's
// thread cannot delay it): loads and patches one small task in a loop until told to stop, then
// reports how many rounds it made and the slowest one. It runs the built package (dist).
import { parentPort, workerData } from 'node:worker_threads';
import { RedisTaskStore } from '../../dist/index.js';

const store = new RedisTaskStore({ url: workerData.url, namespace: workerData.namespace });
let stop = false;
parentPort.on('message', () => {
  stop = true;
});
await store.create({ taskId: 'probe' }).catch(() => undefined);
parentPort.postMessage({ ready: true });
let rounds = 0;
let slowestMs = 0;
const errors = [];
while (!stop) {
  const started = performance.now();
  try {
    await store.load('probe');
    await store.patch('probe', { data: { rounds } });
  } catch (error) {
    errors.push(String(error?.message ?? error));
  }
  slowestMs = Math.max(slowestMs, performance.now() - started);
  rounds++;
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await store.clear();
await store.close();
parentPort.postMessage({ rounds, slowestMs, errors: errors.slice(0, 3) });
