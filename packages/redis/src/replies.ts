/** What the scripts reply, read the same way by every part of the store. */

/** A record a script or the parser found unreadable. */
export class CorruptFound extends Error {
  constructor(
    readonly taskId: string,
    readonly version: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** The status word of a script reply (`OK`, `EXISTS` ...) and its fields. */
export function replyOf(reply: unknown): [string, unknown[]] {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') return ['UNEXPECTED', []];
  return [reply[0], reply.slice(1)];
}

/** An error for a reply no script gives (a bug, or another version's script). */
export function unexpected(script: string, reply: unknown): Error {
  return new Error(`unexpected reply from ${script}: ${JSON.stringify(reply)?.slice(0, 100)}`);
}
