/** Every startup or shutdown wait in this package is bounded by this unless the caller says otherwise. */
export const DEFAULT_WAIT_MS = 20_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** What we are waiting for, for the error message ("redis-server on 127.0.0.1:1234 to answer PING"). */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /**
   * Called before every attempt; throwing aborts the wait at once. Used to fail fast when the server
   * process already exited instead of polling a dead port until the deadline.
   */
  abortIf?: () => void;
  /** Extra text for the timeout error, e.g. the tail of the server log. */
  details?: () => string;
}

/**
 * Polls `check` until it resolves true. A check that throws counts as "not yet" (a connection refused
 * while the server boots is expected); the last such error is quoted if the deadline passes.
 */
export async function waitUntil(check: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    opts.abortIf?.();
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const last = lastError instanceof Error ? ` Last error: ${lastError.message}.` : '';
  const details = opts.details?.() ?? '';
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${opts.what}.${last}${details ? `\n${details}` : ''}`,
  );
}
