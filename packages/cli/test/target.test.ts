import { describe, expect, it } from 'vitest';
import { configFromFlags, configFromUrl } from '../src/index.js';

describe('which store a command line names', () => {
  it('reads the backend from the URL scheme', () => {
    expect(configFromUrl('redis://h:6379/2', '--to')).toEqual({
      backend: 'redis',
      redis: { url: 'redis://h:6379/2' },
    });
    expect(configFromUrl('rediss://h', '--to')).toMatchObject({ backend: 'redis' });
    expect(configFromUrl('postgresql://u@h/db', '--to')).toEqual({
      backend: 'postgres',
      postgres: { connectionString: 'postgresql://u@h/db' },
    });
    expect(configFromUrl('sqlite:./tasks.db', '--to')).toEqual({
      backend: 'sqlite',
      sqlite: { path: './tasks.db' },
    });
    expect(configFromUrl('sqlite:///var/tasks.db', '--to')).toEqual({
      backend: 'sqlite',
      sqlite: { path: '/var/tasks.db' },
    });
    expect(configFromUrl('sqlite::memory:', '--to')).toEqual({
      backend: 'sqlite',
      sqlite: { path: ':memory:' },
    });
    expect(configFromUrl('file:///var/tasks.db', '--to')).toEqual({
      backend: 'sqlite',
      sqlite: { path: '/var/tasks.db' },
    });
    expect(configFromUrl('memory:', '--to')).toEqual({ backend: 'memory' });
    expect(() => configFromUrl('mysql://h/db', '--to')).toThrow(/--to: cannot tell the backend/);
    expect(() => configFromUrl('sqlite:', '--to')).toThrow(/needs a file path/);
  });

  it('an address flag alone picks its backend; --backend and a URL must agree', () => {
    expect(configFromFlags({ redisUrl: 'redis://h' })).toEqual({
      backend: 'redis',
      redis: { url: 'redis://h' },
    });
    expect(configFromFlags({ namespace: 'n' })).toEqual({ namespace: 'n' });
    expect(configFromFlags({ redisUrl: 'redis://h', postgresUrl: 'postgres://h/d' })).not.toHaveProperty(
      'backend',
    );
    expect(() => configFromFlags({ backend: 'postgres' }, { value: 'redis://h', flag: '--from' })).toThrow(
      /--from names the redis backend but --backend says postgres/,
    );
  });
});
