import net from 'node:net';

/** Loopback only: these servers are for tests and must never be reachable from outside the machine. */
export const LOOPBACK = '127.0.0.1';

/**
 * Returns `count` distinct TCP ports that were free on 127.0.0.1 a moment ago.
 *
 * All listeners are held open at the same time before any is closed, so the kernel cannot hand the
 * same ephemeral port out twice within one call (a cluster node needs its client port and its bus
 * port to differ). The ports are free only "a moment ago": callers that spawn a server on them retry
 * with fresh ports if the server reports the address in use.
 */
export async function getFreePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('net.Server has no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** One free loopback port (see getFreePorts for the caveat). */
export async function getFreePort(): Promise<number> {
  const [port] = await getFreePorts(1);
  return port!;
}

/**
 * True when something accepts a TCP connection on host:port within timeoutMs.
 * Used to wait until a killed server's listening socket is really gone before restarting on the port.
 */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
