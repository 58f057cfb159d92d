import { describe, expect, it } from 'vitest';
import { isClusterDown, RedisNotAnswering, wrapDriverError } from '../src/driver-errors.js';
import { describeDriverError, isUnavailable } from '../src/index.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('driver errors', () => {
  it('maps lost connections, timeouts and "not now" replies to BACKEND_UNAVAILABLE', () => {
    const unavailable = [
      new Error('Connection is closed.'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      Object.assign(new Error('Reached the max retries per request limit (which is 0).'), {
        name: 'MaxRetriesPerRequestError',
      }),
      withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('getaddrinfo ENOTFOUND nowhere', 'ENOTFOUND'),
      new Error('LOADING Redis is loading the dataset in memory'),
      new Error('CLUSTERDOWN The cluster is down'),
      new Error('TRYAGAIN Multiple keys request during rehashing of slot'),
      new Error('MASTERDOWN Link with MASTER is down'),
      new Error('BUSY Redis is busy running a script.'),
      new Error("Cluster isn't ready and enableOfflineQueue options is false"),
      new RedisNotAnswering('no connection to Redis within 2000 ms'),
    ];
    for (const error of unavailable) {
      expect(isUnavailable(error), error.message).toBe(true);
      expect(wrapDriverError('load', error).code).toBe('BACKEND_UNAVAILABLE');
    }
  });

  it('knows CLUSTERDOWN (the one reply the cluster connection sends again within the wait)', () => {
    expect(isClusterDown(new Error('CLUSTERDOWN The cluster is down'))).toBe(true);
    expect(isClusterDown(new Error('CLUSTERDOWN Hash slot not served'))).toBe(true);
    expect(isClusterDown(new Error('TRYAGAIN Multiple keys request during rehashing of slot'))).toBe(false);
    expect(isClusterDown(new Error('ERR CLUSTERDOWN'))).toBe(false);
    expect(isClusterDown('CLUSTERDOWN')).toBe(false);
  });

  it('maps every other reply to BACKEND_ERROR', () => {
    for (const error of [
      new Error('ERR unknown command'),
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new Error("OOM command not allowed when used memory > 'maxmemory'."),
      new Error('NOPERM this user has no permissions'),
      'a string',
    ]) {
      expect(isUnavailable(error)).toBe(false);
      expect(wrapDriverError('create', error, 't').code).toBe('BACKEND_ERROR');
    }
  });

  it('never lets a password or URL through, not even in the cause', () => {
    const error = Object.assign(new Error('failed redis://:hunter2@db.internal:6379/0 password=hunter2'), {
      command: { name: 'auth', args: ['hunter2'] },
    });
    const wrapped = wrapDriverError('load', error);
    expect(wrapped.message).not.toContain('hunter2');
    expect(wrapped.message).toContain('redis://db.internal:6379');
    expect(JSON.stringify((wrapped as Error).cause, Object.getOwnPropertyNames(wrapped.cause))).not.toContain(
      'hunter2',
    );
    expect(describeDriverError(new Error('WRONGTYPE Operation against a key'))).toMatch(/another type/);
  });
});
