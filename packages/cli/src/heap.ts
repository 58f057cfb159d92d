/**
 * Keeps a long export, import or copy inside its memory bound. What such a run holds live is one
 * page of the walk and one batch of the restore (a few MB), but V8 lets the garbage of finished
 * batches pile up until the heap nears its limit: a 1M-task copy peaked at ~200 MB resident
 * though a 96 MB heap cap ran it fine. A full collection at most once a second, between batches,
 * returns that garbage (a few ms each: ~1 % of the run).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MIN_INTERVAL_MS = 1000;

/** A collector to call after each batch; a no-op where the runtime does not allow it. */
export function collectorBetweenBatches(): () => void {
  let gc: (() => void) | undefined;
  try {
    // `gc` is exposed to contexts created after the flag is set; the main context keeps none.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    return () => {};
  }
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < MIN_INTERVAL_MS) return;
    gc?.();
    last = performance.now();
  };
}
