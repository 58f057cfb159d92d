import net from 'node:net';
import type { Endpoint } from './types.js';

/**
 * A minimal RESP2 client: enough to PING a server, form a cluster and let tests SET/GET, without
 * making this package depend on ioredis (whose behaviour the Redis adapter's tests are checking).
 * One connection per command keeps it trivially correct; these are control-plane calls, not hot paths.
 */
export type RespValue = string | number | null | RespValue[];

/** A '-ERR ...' reply from the server. */
export class RespError extends Error {
  override readonly name = 'RespError';
}

/** Encodes a command as a RESP array of bulk strings (the only form servers must accept). */
export function encodeCommand(args: ReadonlyArray<string | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const data = Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

interface Parsed {
  value: RespValue | RespError;
  next: number;
}

/** Parses one reply starting at `offset`; undefined when the buffer does not hold all of it yet. */
export function parseReply(buf: Buffer, offset = 0): Parsed | undefined {
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: afterLine };
      if (buf.length < afterLine + len + 2) return undefined;
      return { value: buf.toString('utf8', afterLine, afterLine + len), next: afterLine + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        // an error nested in an array (e.g. inside EXEC) is kept as its message
        items.push(item.value instanceof RespError ? item.value.message : item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`Unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/**
 * Sends one command and resolves with its reply; rejects with RespError on an error reply and with a
 * timeout Error if no full reply arrives within timeoutMs (which is how a frozen server shows: the
 * kernel still accepts the connection but nobody answers).
 */
export function redisCommand(
  endpoint: Endpoint,
  args: ReadonlyArray<string | number>,
  opts: { timeoutMs?: number } = {},
): Promise<RespValue> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null, value?: RespValue) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value ?? null);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(`${args[0]} to ${endpoint.host}:${endpoint.port} got no reply within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    socket.once('connect', () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      let parsed: Parsed | undefined;
      try {
        parsed = parseReply(buf);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (parsed === undefined) return;
      if (parsed.value instanceof RespError) finish(parsed.value);
      else finish(null, parsed.value);
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(new Error(`connection to ${endpoint.host}:${endpoint.port} closed`)));
  });
}
