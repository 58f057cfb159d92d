/** rediss:// URLs: TLS and the password come from the URL; neither shows up in errors. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getFreePort, type RedisServerHandle, startRedis } from '@taskvault/test-servers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../src/index.js';

const PASSWORD = 'tls-secret-pw';
let server: RedisServerHandle;
let tlsPort: number;
let dir: string;
let ca: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'taskvault-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(cert);
  tlsPort = await getFreePort();
  // the plain port stays for the harness' readiness check; clients here use the TLS port
  server = await startRedis({
    args: [
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--tls-auth-clients',
      'no',
    ],
  });
  const admin = new Redis(server.url);
  await admin.config('SET', 'requirepass', PASSWORD);
  admin.disconnect();
});
afterAll(async () => {
  await server?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('a rediss:// URL with a password connects over TLS and works', async () => {
    const store = new RedisTaskStore({
      url: `rediss://:${PASSWORD}@127.0.0.1:${tlsPort}`,
      namespace: 'tls',
      redisOptions: { tls: { ca } },
    });
    const created = await store.create({ taskId: 'over-tls' });
    expect(await store.load('over-tls')).toEqual(created);
    expect((await store.healthCheck()).ok).toBe(true);
    await store.clear();
    await store.close();
  });

  it('a TLS handshake that fails is reported without the password or URL', async () => {
    const url = `rediss://:${PASSWORD}@127.0.0.1:${tlsPort}`;
    const store = new RedisTaskStore({ url, namespace: 'tls', commandTimeoutMs: 1000 }); // no CA: untrusted
    const error = await store.load('x').then(
      () => null,
      (e: Error) => e,
    );
    expect(error).not.toBeNull();
    expect(error!.message).not.toContain(PASSWORD);
    expect(error!.message).not.toContain(url);
    const health = await store.healthCheck();
    expect(health.ok).toBe(false);
    expect(health.detail).not.toContain(PASSWORD);
    await store.close();
  });
});
