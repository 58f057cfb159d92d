import { externalServerError } from './hints.js';

/**
 * A server someone else runs (named by a TASKVAULT_TEST_* variable): usable, but never stopped,
 * crashed or wiped by us. Every fault operation rejects with an error that says which variable
 * to unset for a test that needs it.
 */
export abstract class ExternalServer {
  readonly external = true;
  readonly dir = '';
  readonly host: string;
  readonly port: number;

  constructor(
    readonly url: string,
    defaultPort: number,
    private readonly kind: string,
    private readonly envName: string,
  ) {
    const parsed = new URL(url);
    this.host = parsed.hostname;
    this.port = parsed.port ? Number(parsed.port) : defaultPort;
  }

  stop(): Promise<void> {
    return Promise.reject(this.refuse('stop'));
  }
  kill(): Promise<void> {
    return Promise.reject(this.refuse('kill'));
  }
  start(): Promise<void> {
    return Promise.reject(this.refuse('start'));
  }
  freeze(): void {
    throw this.refuse('freeze');
  }
  thaw(): void {
    throw this.refuse('thaw');
  }
  async destroy(): Promise<void> {
    // not ours to stop or wipe
  }

  private refuse(operation: string): Error {
    return externalServerError(
      `the ${this.kind} server at ${this.host}:${this.port}`,
      operation,
      this.envName,
    );
  }
}
