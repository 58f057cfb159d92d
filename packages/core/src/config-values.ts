/**
 * Reading one configuration value: booleans, integers and URL credentials, each strict, each
 * rejection naming the variable (or field) it came from and never echoing a secret.
 */
import { taskStoreError } from './errors.js';

/** Throws CONFIG_INVALID for `path`. `detail` must not hold the value when it may be secret. */
export function bad(path: string, detail: string): never {
  throw taskStoreError('config', 'CONFIG_INVALID', { path, detail });
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, in any case.
 * @throws TaskStoreConfigError CONFIG_INVALID naming `path` for anything else.
 */
export function parseBoolean(path: string, text: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return bad(path, `must be true or false (also 1/0, yes/no), got ${JSON.stringify(text)}`);
}

/**
 * Plain decimal digits only — no sign, exponent, hex, fraction or surrounding spaces, so `0x10`,
 * `1e1`, `+8`, `8.0` and ` 8` are refused rather than read as some other number.
 * @throws TaskStoreConfigError CONFIG_INVALID naming `path` when not an integer in `[min, max]`.
 */
export function parseInteger(
  path: string,
  text: string,
  min: number,
  max: number,
  what = 'an integer',
): number {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    bad(path, `must be ${what} from ${min} to ${max} in plain decimal digits, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Checks that the user name and password of `url` are valid percent-encoding, which drivers
 * decode (a `%zz` would otherwise surface as a bare `URIError` when the store connects).
 * @throws TaskStoreConfigError CONFIG_INVALID naming `path`, without the credentials.
 */
export function checkUrlCredentials(path: string, url: URL): void {
  for (const [part, text] of [
    ['user name', url.username],
    ['password', url.password],
  ] as const) {
    try {
      decodeURIComponent(text);
    } catch {
      bad(path, `the ${part} in the URL is not valid percent-encoding: write % as %25`);
    }
  }
}

/**
 * `encodeURIComponent` of a secret, as CONFIG_INVALID naming `path` (never the secret) when it
 * holds a lone surrogate, which has no UTF-8 form.
 */
export function encodeSecret(path: string, secret: string): string {
  try {
    return encodeURIComponent(secret);
  } catch {
    return bad(path, 'holds a character that has no UTF-8 form (a lone surrogate)');
  }
}
