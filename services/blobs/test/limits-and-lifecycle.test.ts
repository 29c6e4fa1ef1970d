import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildKeyServer, generateRelayCredentialKeyPair, relayCredentialVerifier } from '@sealpost/keyserver';
import { buildRelay } from '@sealpost/relay';
import { verifyUploadCapability } from '@sealpost/protocol';
import { toBase64 } from '@sealpost/protocol/primitives';
import { freePort } from '@sealpost/devkit/services';
import { blobService } from '../src/index.ts';
import { capability, create, createAndKill, errorCode, offsetOf, patch, raw, signingKey, startBlobServer, tus } from './helpers.ts';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!().catch(() => undefined);
});

async function started(...args: Parameters<typeof startBlobServer>) {
  const s = await startBlobServer(...args);
  closers.push(() => s.app.close());
  return s;
}

describe('blob service limits and lifecycle', () => {
  it('expiry: the sweeper deletes a completed blob at its TTL (default 30 days) and an abandoned upload at 24 h', async () => {
    let now = Date.now();
    const s = await started({}, { now: () => now });
    expect(s.app.blobs.settings.blobTtlMs).toBe(30 * 24 * 3600_000);
    const done = capability({ max: 100 });
    expect((await create(s.url, done.token, 10, randomBytes(10))).status).toBe(201);
    const partial = capability({ max: 100, expiresAt: Date.now() + 40 * 24 * 3600_000 });
    expect((await create(s.url, partial.token, 10, randomBytes(5))).status).toBe(201);
    now += 25 * 3600_000;
    expect(await s.app.blobs.sweep()).toBe(1); // the abandoned half upload
    expect((await raw(`${s.url}/v1/blobs/${done.key}`, 'GET', {})).status).toBe(200);
    now += 29 * 24 * 3600_000;
    // Past its TTL it is no longer served even before the sweep runs.
    expect((await raw(`${s.url}/v1/blobs/${done.key}`, 'GET', {})).status).toBe(404);
    expect(await s.app.blobs.sweep()).toBe(1);
    expect(await s.app.blobs.directory.keys()).toEqual([]);
  });

  it('per-device quotas: the upload rate and the byte budget give 429 with Retry-After; another device is unaffected', async () => {
    const s = await started({ uploadRateLimit: { burst: 2, perSecond: 0.001 }, uploadByteQuota: { burst: 1000, perSecond: 1 } });
    const dev = 'BBBBBBBBBBBBBBBBBBBBBB';
    expect((await create(s.url, capability({ subject: dev }).token, 10)).status).toBe(201);
    expect((await create(s.url, capability({ subject: dev }).token, 10)).status).toBe(201);
    const third = await create(s.url, capability({ subject: dev }).token, 10);
    expect(third.status).toBe(429);
    expect(errorCode(third)).toBe('QUOTA_EXCEEDED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    const other = 'CCCCCCCCCCCCCCCCCCCCCC';
    expect((await create(s.url, capability({ subject: other }).token, 900)).status).toBe(201);
    expect((await create(s.url, capability({ subject: other }).token, 200)).status).toBe(429);
  });

  it('disk full: creations get 507 and succeed again once space is freed', async () => {
    const s = await started({ diskCapBytes: 10_000 });
    const a = capability();
    expect((await create(s.url, a.token, 8000, randomBytes(8000))).status).toBe(201);
    const b = capability();
    const full = await create(s.url, b.token, 5000);
    expect(full.status).toBe(507);
    expect(errorCode(full)).toBe('INSUFFICIENT_STORAGE');
    expect((await raw(`${s.url}/v1/blobs/${a.key}`, 'DELETE', tus(a.token))).status).toBe(204);
    await s.app.blobs.sweep(); // recounts what is stored
    expect((await create(s.url, b.token, 5000, randomBytes(5000))).status).toBe(201);
    // The service is still healthy.
    expect((await raw(`${s.url}/health`, 'GET', {})).status).toBe(200);
  });

  it('the key server signs upload capabilities for an authenticated device (413 over the maximum); the blob service verifies them offline', async () => {
    const relayKey = generateRelayCredentialKeyPair();
    const ks = await buildKeyServer({ relayCredentialKey: relayKey, docs: false, settings: { registrationRateLimit: false }, attachmentForms: { maxUploadBytes: 5000 } });
    await ks.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => ks.close());
    const ksUrl = `http://127.0.0.1:${(ks.server.address() as { port: number }).port}`;
    const { startLocalServicesClientAccount } = await import('./keyserver-account.ts');
    const auth = await startLocalServicesClientAccount(ksUrl);
    const noAuth = await fetch(`${ksUrl}/v1/attachments/form`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uploadLength: 10 }) });
    expect(noAuth.status).toBe(401);
    const tooBig = await fetch(`${ksUrl}/v1/attachments/form`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ uploadLength: 5001 }) });
    expect(tooBig.status).toBe(413);
    const res = await fetch(`${ksUrl}/v1/attachments/form`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ uploadLength: 3000 }) });
    expect(res.status).toBe(200);
    const form = (await res.json()) as { key: string; token: string; maxLength: number };
    expect(form.key).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const cap = verifyUploadCapability(form.token, relayKey.publicKey, Date.now());
    expect(cap).toMatchObject({ blobKey: form.key, maxLength: 3000 });
    // A second form of the same device has the same opaque quota subject and a new key.
    const second = (await (await fetch(`${ksUrl}/v1/attachments/form`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ uploadLength: 10 }) })).json()) as { key: string; token: string };
    expect(second.key).not.toBe(form.key);
    expect(verifyUploadCapability(second.token, relayKey.publicKey, Date.now())!.subject).toBe(cap!.subject);

    const dir = mkdtempSync(join(tmpdir(), 'sealpost-blobs-ks-'));
    const { buildBlobServer } = await import('../src/index.ts');
    const blobs = await buildBlobServer({ directory: dir, keyserverPublicKey: relayKey.publicKey, settings: { minFreeDiskBytes: 0, sweepIntervalMs: 0 } });
    await blobs.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => blobs.close());
    const url = `http://127.0.0.1:${(blobs.server.address() as { port: number }).port}`;
    expect((await create(url, form.token, 3001)).status).toBe(413);
    const data = randomBytes(3000);
    expect((await create(url, form.token, 3000, data)).status).toBe(201);
    expect((await raw(`${url}/v1/blobs/${form.key}`, 'GET', {})).body.equals(data)).toBe(true);
    // A relay credential is not an upload capability.
    expect((await create(url, 'v1.' + form.token.slice(3), 10)).status).toBe(401);
  });

  it('mounts in the relay process: uploads and downloads on the relay port', async () => {
    const relayKey = generateRelayCredentialKeyPair();
    const relay = await buildRelay({ verifyCredential: relayCredentialVerifier(relayKey.publicKey), keyserverUrl: 'http://127.0.0.1:9', log: { level: 'silent' }, expirySweepMs: 0 });
    await relay.register(blobService, { directory: mkdtempSync(join(tmpdir(), 'sealpost-blobs-relay-')), keyserverPublicKey: signingKey.publicKey, settings: { minFreeDiskBytes: 0, sweepIntervalMs: 0 } });
    await relay.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => relay.close());
    const url = `http://127.0.0.1:${(relay.server.address() as { port: number }).port}`;
    const { key, token } = capability();
    const data = randomBytes(70_000);
    expect((await create(url, token, data.length, data)).status).toBe(201);
    expect((await raw(`${url}/v1/blobs/${key}`, 'GET', { range: 'bytes=0-9' })).body.equals(data.subarray(0, 10))).toBe(true);
    expect((await raw(`${url}/health`, 'GET', {})).status).toBe(200);
  });

  it('SIGKILL of the service mid-upload, restart on the same directory, then resume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-blobs-kill-'));
    const port = await freePort();
    const main = join(dirname(createRequire(import.meta.url).resolve('@sealpost/blobs')), 'main.ts');
    const url = `http://127.0.0.1:${port}`;
    const startProc = async (): Promise<ChildProcess> => {
      const proc = spawn(process.execPath, ['--import', 'tsx', main, '--port', String(port), '--dir', dir, '--keyserver-public-key', toBase64(signingKey.publicKey), '--min-free-disk-bytes', '0', '--log-level', 'silent'], { stdio: 'ignore' });
      closers.push(async () => proc.kill('SIGKILL'));
      for (let i = 0; i < 200; i++) {
        if (await raw(`${url}/health`, 'GET', {}).then((r) => r.status === 200, () => false)) return proc;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('blob service did not start');
    };
    const first = await startProc();
    const data = randomBytes(8 * 2 ** 20);
    const { key, token } = capability({ max: data.length });
    // Send part of the body, then kill the server while the request is still open.
    const sending = createAndKill(url, token, data, 3 * 2 ** 20);
    for (let i = 0; i < 200 && (await offsetOf(url, key, token).catch(() => 0)) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    first.kill('SIGKILL');
    await sending;
    await new Promise((r) => first.once('exit', r).listenerCount('exit') && setTimeout(r, 500));
    await startProc();
    const offset = await offsetOf(url, key, token);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(data.length);
    expect((await patch(url, key, token, offset, data.subarray(offset))).status).toBe(204);
    const got = await raw(`${url}/v1/blobs/${key}`, 'GET', {});
    expect(createHash('sha256').update(got.body).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });
});
