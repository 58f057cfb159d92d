/** pg errors -> BACKEND_UNAVAILABLE or BACKEND_ERROR, with no secret in any message. */
import { TaskCreateError, TaskLoadError } from '@taskvault/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, isUnavailable, wrapDriverError } from '../src/driver-errors.js';

/** A server error reply as pg builds it. */
function serverError(code: string, message = 'server said no'): Error {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('driver error mapping', () => {
  it.each([
    ['08006 connection_failure', serverError('08006')],
    ['08001 sqlclient_unable_to_establish_sqlconnection', serverError('08001')],
    ['57P01 admin_shutdown', serverError('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash_shutdown', serverError('57P02')],
    ['57P03 cannot_connect_now', serverError('57P03', 'the database system is starting up')],
    [
      '57014 query_canceled (statement_timeout)',
      serverError('57014', 'canceling statement due to statement timeout'),
    ],
    ['53300 too_many_connections', serverError('53300')],
    ['ECONNREFUSED', socketError('ECONNREFUSED')],
    ['ECONNRESET', socketError('ECONNRESET')],
    ['ETIMEDOUT', socketError('ETIMEDOUT')],
    [
      'AggregateError of refusals (localhost: ::1 and 127.0.0.1)',
      new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]),
    ],
    ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    [
      'connection timeout',
      new Error('Connection terminated due to connection timeout', { cause: new Error('x') }),
    ],
    ['pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    ['client-side query timeout', new Error('Query read timeout')],
    [
      'a client that lost its connection',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['the store acquire timeout', new AcquireTimeoutError(5000)],
  ])('%s is BACKEND_UNAVAILABLE', (_, error) => {
    expect(isUnavailable(error)).toBe(true);
    expect(wrapDriverError('load', error)).toMatchObject({ code: 'BACKEND_UNAVAILABLE', operation: 'load' });
  });

  it.each([
    ['23505 unique_violation', serverError('23505')],
    ['42P01 undefined_table', serverError('42P01')],
    ['40P01 deadlock_detected', serverError('40P01')],
    ['3D000 invalid_catalog_name', serverError('3D000', 'database "x" does not exist')],
    ['28P01 invalid_password', serverError('28P01', 'password authentication failed for user "u"')],
    ['a plain bug', new TypeError('x is not a function')],
  ])('%s is BACKEND_ERROR', (_, error) => {
    expect(isUnavailable(error)).toBe(false);
    expect(wrapDriverError('create', error)).toMatchObject({ code: 'BACKEND_ERROR' });
  });

  it('the error has the class of the operation, the driver error as cause, and the SQLSTATE in its message', () => {
    const cause = serverError('57P01', 'terminating connection due to administrator command');
    const wrapped = wrapDriverError('create', cause, 'task-1');
    expect(wrapped).toBeInstanceOf(TaskCreateError);
    expect(wrapped.taskId).toBe('task-1');
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.message).toContain('57P01');
    expect(wrapDriverError('loadByRequestId', cause)).toBeInstanceOf(TaskLoadError);
  });

  it('a connection string inside a driver message is reduced to host:port', () => {
    const wrapped = wrapDriverError(
      'load',
      new Error('could not reach postgres://admin:hunter2@db.internal:5432/prod?sslmode=require'),
    );
    expect(wrapped.message).not.toContain('hunter2');
    expect(wrapped.message).not.toContain('admin');
    expect(wrapped.message).toContain('postgres://db.internal:5432');
  });
});
