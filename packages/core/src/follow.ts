/**
 * The iterator behind `watch()`: fixes its start (the feed's end, or `after`) at once, then reads
 * the feed in batches, waiting on the backend when nothing is new, and delivers the changes that
 * pass the filter. It ends — returning, not throwing — on `break`, on the caller's signal and when
 * the store closes; a backend failure (BACKEND_UNAVAILABLE...) is thrown from `next()`, and the
 * caller resumes with `after` set to the last id it got.
 */
import {
  type ChangeFeedHooks,
  type ChangeStream,
  changeMatches,
  type NormalizedWatchFilter,
  publicChange,
  type TaskChange,
} from './changes.js';

/** Changes read per backend call. */
const READ_BATCH = 256;
/** How long one backend call waits for a change before the loop looks at its signals again, ms. */
const READ_WAIT_MS = 1000;

/** A `ChangeStream` over `hooks`, ended by `signal` or `closing`. */
export function followChanges(
  hooks: ChangeFeedHooks,
  filter: NormalizedWatchFilter,
  after: string | null,
  signal: AbortSignal | null,
  closing: AbortSignal,
): ChangeStream {
  const stop = signal === null ? closing : AbortSignal.any([signal, closing]);
  const ready = after !== null ? Promise.resolve(after) : hooks.feedEnd();
  // a failure here is the first next()'s to report; unobserved, it must not crash the process
  ready.catch(() => {});

  async function* changes(): AsyncGenerator<TaskChange, void, undefined> {
    let position = await ready;
    // aborted when the consumer stops early (break, return()), so a read in flight ends too
    const done = new AbortController();
    const readSignal = AbortSignal.any([stop, done.signal]);
    try {
      while (!stop.aborted) {
        let batch: Awaited<ReturnType<ChangeFeedHooks['readChanges']>>;
        try {
          batch = await hooks.readChanges({
            after: position,
            limit: READ_BATCH,
            waitMs: READ_WAIT_MS,
            signal: readSignal,
          });
        } catch (error) {
          if (stop.aborted) return; // closed or aborted while reading: the end, not a failure
          throw error;
        }
        for (const change of batch) {
          position = change.id;
          if (!changeMatches(filter, change)) continue;
          yield publicChange(change);
          if (stop.aborted) return;
        }
      }
    } finally {
      done.abort();
    }
  }

  return { ready, [Symbol.asyncIterator]: changes };
}
