/**
 * The Lua scripts every write (and every multi-key read) runs as: one atomic server-side step each.
 * They are embedded in the build as text, each prefixed with only the helpers it uses (Redis runs a
 * script's whole text on every call, function definitions included), and called by SHA (EVALSHA)
 * with a fallback to EVAL when the server does not know the script yet (NOSCRIPT: after a restart, a
 * failover or SCRIPT FLUSH). A NOSCRIPT reply means nothing ran, so the fallback can never apply a
 * write twice.
 *
 * The hot writes (create, update, patch) are also built into one Redis 7 function library
 * (`LIBRARY`), loaded once per server with FUNCTION LOAD and called with FCALL: the helpers are
 * then defined once at load instead of on every call (EVALSHA runs a script's whole text, its ~40
 * helper definitions included, each time). Connection falls back to the scripts on Redis 6 and
 * wherever FUNCTION is not allowed. Reads and the freeing scripts (delete, cleanup, clear) stay
 * scripts: a function without flags is refused as a whole while Redis is out of memory, and those
 * must keep working then.
 */
import { createHash } from 'node:crypto';
import byRequest from './scripts/by-request-1.lua';
import byRequestNode from './scripts/by-request-node-1.lua';
import cleanup from './scripts/cleanup-1.lua';
import clear from './scripts/clear-1.lua';
import count from './scripts/count-1.lua';
import countStatus from './scripts/count-status-1.lua';
import countStatusNode from './scripts/count-status-node-1.lua';
import create from './scripts/create-2.lua';
import del from './scripts/delete-2.lua';
import feedRead from './scripts/feed-read-1.lua';
import doc from './scripts/lib/doc.lua';
import feed from './scripts/lib/feed.lua';
import index from './scripts/lib/index.lua';
import live from './scripts/lib/live.lua';
import prelude from './scripts/lib/prelude.lua';
import range from './scripts/lib/range.lua';
import list from './scripts/list-1.lua';
import loadTerminal from './scripts/load-terminal-2.lua';
import patch from './scripts/patch-2.lua';
import quarantine from './scripts/quarantine-2.lua';
import shards from './scripts/shards-1.lua';
import sweep from './scripts/sweep-1.lua';
import sweepLease from './scripts/sweep-lease-1.lua';
import sweepRelease from './scripts/sweep-release-1.lua';
import update from './scripts/update-2.lua';
import verify from './scripts/verify-1.lua';

/**
 * Version of the scripts and of the key layout and document format they assume. It is part of
 * every script's name and text (so of its SHA) and of every key (`...}:v2:`): a process running
 * other code never runs a script it did not ship, nor reads data of another layout.
 */
export const SCRIPT_VERSION = 2;

/** A script ready to run: its text, SHA1 and how many of its arguments are keys. */
export interface LuaScript {
  /** `taskvault_v<version>_<name>` */
  readonly name: string;
  readonly numKeys: number;
  readonly lua: string;
  readonly sha: string;
  /** Its name in the library (`LIBRARY`) when it is one of the library's functions, else null. */
  readonly fn: string | null;
}

/** Helpers a script can be built with; the prelude always comes first. */
const HELPERS = { doc, live, feed, index, range } as const;

/** The bodies of the library's functions, by script name. */
const FUNCTION_BODIES = { create, update, patch } as const;

/**
 * The function library: every helper defined once, each body wrapped in a function that sets the
 * per-call names the prelude sets in a script (KEYS, ARGV, IDX, P, IX: upvalues shared by the
 * helpers; Redis runs one function at a time, so they never interleave). Named after a hash of its
 * text: a server holding another version's library keeps it, and this one loads beside it.
 */
function buildLibrary(): { name: string; code: string; functions: Record<string, string> } {
  const bodies = Object.entries(FUNCTION_BODIES).map(
    ([name, body]) => `local function body_${name}()\n${body}\nend`,
  );
  const shared = ['local KEYS, ARGV, IDX, P, IX', doc, live, feed, index, ...bodies].join('\n');
  const tag = createHash('sha1').update(shared).digest('hex').slice(0, 12);
  const name = `taskvault_v${SCRIPT_VERSION}_${tag}`;
  const functions: Record<string, string> = {};
  const registrations = Object.keys(FUNCTION_BODIES).map((script) => {
    const fn = `${name}_${script}`;
    functions[script] = fn;
    return [
      `redis.register_function('${fn}', function(keys, args)`,
      '  KEYS, ARGV, IDX = keys, args, keys[1]',
      "  P = string.sub(IDX, 1, -4); IX = P .. 'ix'",
      `  return body_${script}()`,
      'end)',
    ].join('\n');
  });
  return { name, code: [`#!lua name=${name}`, shared, ...registrations].join('\n'), functions };
}

/** The Redis 7 function library of the hot writes (see the top of this file). */
export const LIBRARY = buildLibrary();

function define(
  name: string,
  numKeys: number,
  body: string,
  helpers: (keyof typeof HELPERS)[],
  flags?: string,
): LuaScript {
  const fullName = `taskvault_v${SCRIPT_VERSION}_${name}`;
  // script flags (Redis 7) go in a shebang, which must be the script's first line
  const head = flags === undefined ? [] : [`#!lua flags=${flags}`];
  const parts = [...head, `-- ${fullName}`, prelude, ...helpers.map((h) => HELPERS[h]), body];
  const lua = parts.join('\n');
  const fn = LIBRARY.functions[name] ?? null;
  return { name: fullName, numKeys, lua, sha: createHash('sha1').update(lua).digest('hex'), fn };
}

/** Every script, by the operation it implements. File names say `name-<numKeys>.lua`. */
export const SCRIPTS = {
  create: define('create', 2, create, ['doc', 'live', 'feed', 'index']),
  update: define('update', 2, update, ['doc', 'live', 'feed', 'index']),
  patch: define('patch', 2, patch, ['doc', 'live', 'feed', 'index']),
  delete: define('delete', 2, del, ['doc', 'live', 'feed', 'index']),
  quarantine: define('quarantine', 2, quarantine, ['doc', 'live', 'feed', 'index']),
  byRequest: define('by_request', 1, byRequest, ['doc', 'live']),
  /** byRequest over the buckets one cluster node serves (Redis 7; see the script). */
  byRequestNode: define(
    'by_request_node',
    1,
    byRequestNode,
    ['doc', 'live'],
    'no-writes,allow-cross-slot-keys',
  ),
  list: define('list', 1, list, ['doc', 'live', 'range']),
  countStatus: define('count_status', 1, countStatus, []),
  /** countStatus over the buckets one cluster node serves (Redis 7; see the script). */
  countStatusNode: define('count_status_node', 1, countStatusNode, [], 'no-writes,allow-cross-slot-keys'),
  count: define('count', 1, count, ['doc', 'live', 'range']),
  cleanup: define('cleanup', 1, cleanup, ['doc', 'live', 'feed', 'index']),
  clear: define('clear', 1, clear, ['doc', 'live', 'feed', 'index']),
  shards: define('shards', 1, shards, []),
  verify: define('verify', 1, verify, ['doc', 'live', 'feed', 'index']),
  /** The background sweeper's lease (in bucket 0) and batches (per bucket, fenced): not hot, plain scripts. */
  sweepLease: define('sweep_lease', 1, sweepLease, []),
  sweep: define('sweep', 1, sweep, ['doc', 'live', 'feed', 'index']),
  sweepRelease: define('sweep_release', 1, sweepRelease, []),
  /** One bucket's change feed: its end, or the entries after a position (see feed-read-1.lua). */
  feedRead: define('feed_read', 1, feedRead, [], 'no-writes'),
  /** load of a task in a terminal status: its document and live-until score in one step. */
  loadTerminal: define('load_terminal', 2, loadTerminal, [], 'no-writes'),
} as const;

/** True for the server's "I do not have this function" reply (FCALL: nothing ran). */
export function isNoFunction(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('ERR Function not found');
}

/** True for a library FUNCTION LOAD finds already loaded (another store loaded it first). */
export function isLibraryLoaded(error: unknown): boolean {
  return error instanceof Error && /^ERR Library '.*' already exists/.test(error.message);
}

/** True for the server's "I do not have this script" reply. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
