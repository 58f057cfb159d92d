/**
 * A progress bar for preloading, on stderr so stdout stays the report: one line redrawn with `\r`
 * on a terminal, plain lines every 10% otherwise (CI logs, pipes).
 */

/** Where progress goes: a stream, and whether it is a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export interface Progress {
  /** Reports how many of `total` are done. Cheap to call on every completion. */
  update(done: number): void;
  /** Ends the bar with a final line. */
  finish(): void;
}

const BAR_WIDTH = 30;
/** Redraw at most this often on a terminal. */
const REDRAW_MS = 100;

/** A progress bar for `total` units of work named `label`. */
export function createProgress(label: string, total: number, stream: ProgressStream): Progress {
  const started = performance.now();
  const tty = stream.isTTY === true;
  let lastDraw = started; // the first draw after 100 ms, when the rate means something
  let lastDecile = -1;
  let done = 0;

  const line = (): string => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const eta = rate > 0 ? (total - done) / rate : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
    return (
      `${label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total} ` +
      `${formatRate(rate)}/s ${done >= total ? `${elapsed.toFixed(1)}s` : `eta ${eta.toFixed(0)}s`}`
    );
  };

  return {
    update(value) {
      done = value;
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        stream.write(`\r${line()}\x1b[K`);
        return;
      }
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile && decile < 10) {
        lastDecile = decile;
        stream.write(`${line()}\n`);
      }
    },
    finish() {
      done = Math.max(done, total);
      stream.write(tty ? `\r${line()}\x1b[K\n` : `${line()}\n`);
    },
  };
}

function formatRate(perSec: number): string {
  return perSec >= 1000 ? `${(perSec / 1000).toFixed(1)}k` : perSec.toFixed(0);
}
