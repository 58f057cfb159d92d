/**
 * Lines of a stream with their numbers, pulled one chunk at a time: a slow consumer (a restore
 * waiting on its server) holds at most one chunk and one batch, never the whole input.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** A line of the input, 1-based, without its line break (`\n` or `\r\n`). */
export interface NumberedLine {
  number: number;
  text: string;
}

/** The lines of `input`, blank ones included (the caller decides what a blank line means). */
export async function* readLines(
  input: AsyncIterable<Buffer | string> | Readable,
): AsyncGenerator<NumberedLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    // A byte order mark some editors put first is not part of the first line.
    if (number === 0 && pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
    let start = 0;
    let end = pending.indexOf('\n', start);
    while (end !== -1) {
      number++;
      yield { number, text: trimCr(pending.slice(start, end)) };
      start = end + 1;
      end = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending !== '') yield { number: number + 1, text: trimCr(pending) };
}

function trimCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
