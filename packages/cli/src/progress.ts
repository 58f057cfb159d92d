/**
 * Progress on stderr — count, rate and ETA — drawn by cli-progress, and only when stderr is a
 * terminal: in a pipe, a log file or CI the command stays quiet, and stdout (the data) is
 * never touched.
 */
import cliProgress from 'cli-progress';
import type { OutStream } from './io.js';

/** What a long command reports as it goes. */
export interface Progress {
  /** Tasks done so far. */
  update(done: number): void;
  /** Erases nothing: leaves the last line, then a newline. Idempotent. */
  stop(): void;
}

const QUIET: Progress = { update() {}, stop() {} };

/**
 * A progress line on `stream` when it is a terminal, else one that prints nothing.
 * `total` (from `count()`) gives a bar and an ETA; `null` shows count and rate only.
 */
export function startProgress(stream: OutStream, label: string, total: number | null): Progress {
  if (stream.isTTY !== true) return QUIET;
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        total === null
          ? `${label} {value} tasks | {speed} tasks/s`
          : `${label} {bar} {value}/{total} | {speed} tasks/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { speed: '0' });
  let stopped = false;
  return {
    update(done) {
      const seconds = (Date.now() - started) / 1000;
      const speed = seconds > 0 ? Math.round(done / seconds).toString() : '0';
      // The total from count() can be passed while writers add tasks; grow it rather than overflow.
      if (total !== null && done > bar.getTotal()) bar.setTotal(done);
      bar.update(done, { speed });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
