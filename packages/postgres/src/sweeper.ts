/**
 * The background sweeper: every interval, deletes the namespace's expired rows in a few bounded
 * batches. Expired tasks are invisible without it; it keeps the table, and the expired rows
 * countActive subtracts, small. Its timer never keeps the process alive, and a failed sweep
 * (server down) is simply tried again at the next tick.
 */

/** A periodic task that never overlaps itself. */
export class Sweeper {
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | null = null;
  /** The last sweep's error, for diagnostics; null after a sweep that worked. */
  lastError: unknown = null;

  constructor(intervalMs: number, sweep: () => Promise<void>) {
    this.#timer = setInterval(() => {
      if (this.#running !== null) return;
      this.#running = sweep()
        .then(
          () => {
            this.lastError = null;
          },
          (error: unknown) => {
            this.lastError = error;
          },
        )
        .finally(() => {
          this.#running = null;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
