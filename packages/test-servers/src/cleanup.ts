import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Everything this package starts must die with the test process, even when a test forgets destroy()
 * or the run is interrupted: an orphaned redis-server or postmaster would hold its port and temp dir
 * forever and make the next run flaky. Each live server registers a synchronous killer here; the
 * process 'exit' hook (which cannot await) runs them all and then removes the temp dirs best-effort.
 */
const killers = new Set<() => void>();
const tempDirs = new Set<string>();
let hooked = false;

function runAll(): void {
  for (const kill of killers) {
    try {
      kill();
    } catch {
      // best-effort: one failing killer must not keep the others from running
    }
  }
  killers.clear();
  for (const dir of tempDirs) removeDirSync(dir);
  tempDirs.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', runAll);
  // A signal's default action ends the process without 'exit' firing, so clean up on the usual
  // termination signals too. Re-raise only when nobody else listens, so we never take over another
  // handler's decision to keep the process alive.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      runAll();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Registers a synchronous killer to run at process exit; returns the function that unregisters it. */
export function onExitKill(kill: () => void): () => void {
  hook();
  killers.add(kill);
  return () => {
    killers.delete(kill);
  };
}

/**
 * A fresh temp dir, mode 0755 so that a server running as another OS user (postgres when we are
 * root) can traverse it. Removed at process exit unless removed earlier with removeTempDir.
 */
export function makeTempDir(prefix: string): string {
  hook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `taskvault-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  tempDirs.delete(dir);
  removeDirSync(dir);
}

function removeDirSync(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  } catch {
    // best-effort: a leftover temp dir is harmless, a crash in an exit hook is not
  }
}
