import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { AttachmentEncryptor } from '@sealpost/protocol/attachments';
import { capability, create, createAndKill, errorCode, newKey, offsetOf, patch, raw, startBlobServer, tus } from './helpers.ts';

let server: Awaited<ReturnType<typeof startBlobServer>>;
beforeAll(async () => {
  server = await startBlobServer({ uploadRateLimit: false, uploadByteQuota: false });
});
afterAll(async () => {
  await server.app.close();
});

async function waitForOffset(key: string, token: string, atLeast: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const o = await offsetOf(server.url, key, token);
    if (o >= atLeast) {
      await new Promise((r) => setTimeout(r, 50));
      return offsetOf(server.url, key, token);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('offset never reached');
}

describe('blob service: tus uploads over real HTTP', () => {
  it('serves tus OPTIONS and OpenAPI', async () => {
    const r = await raw(`${server.url}/v1/blobs`, 'OPTIONS', { 'tus-resumable': '1.0.0' });
    expect(r.status).toBe(204);
    expect(r.headers['tus-version']).toContain('1.0.0');
    expect(String(r.headers['tus-extension'])).toContain('creation-with-upload');
    const doc = JSON.parse((await raw(`${server.url}/docs/json`, 'GET', {})).body.toString()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/blobs', '/v1/blobs/{key}']));
  });

  it('an upload killed at a random offset resumes with HEAD + PATCH; the download digest equals the upload', async () => {
    const data = randomBytes(3 * 2 ** 20 + 12345);
    const { key, token } = capability({ max: data.length });
    const cut = 100_000 + Math.floor(Math.random() * 2 * 2 ** 20);
    await createAndKill(server.url, token, data, cut);
    const offset = await waitForOffset(key, token, 1);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(cut);
    // Not complete: no download yet.
    expect((await raw(`${server.url}/v1/blobs/${key}`, 'GET', {})).status).toBe(404);
    const r = await patch(server.url, key, token, offset, data.subarray(offset));
    expect(r.status).toBe(204);
    expect(Number(r.headers['upload-offset'])).toBe(data.length);
    const got = await raw(`${server.url}/v1/blobs/${key}`, 'GET', {});
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.headers['cache-control']).toBe('private, no-store');
    expect(createHash('sha256').update(got.body).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('wrong offset 409, over-length 413 (create and PATCH body), bad content type refused', async () => {
    const { key, token } = capability({ max: 1000 });
    expect((await create(server.url, token, 1001)).status).toBe(413);
    const c = await create(server.url, token, 1000, randomBytes(100));
    expect(c.status).toBe(201);
    expect(String(c.headers.location)).toContain(`/v1/blobs/${key}`);
    const wrong = await patch(server.url, key, token, 50, randomBytes(10));
    expect(wrong.status).toBe(409);
    expect(errorCode(wrong)).toBe('CONFLICT');
    const over = await patch(server.url, key, token, 100, randomBytes(901));
    expect(over.status).toBe(413);
    const ct = await raw(`${server.url}/v1/blobs/${key}`, 'PATCH', { ...tus(token), 'upload-offset': '100', 'content-type': 'text/plain' }, randomBytes(5));
    expect([400, 415]).toContain(ct.status);
    expect(await offsetOf(server.url, key, token)).toBe(100);
  });

  it('creation refuses a reused key (409), metadata (400) and deferred length (400)', async () => {
    const { token } = capability({ max: 100 });
    expect((await create(server.url, token, 10, randomBytes(10))).status).toBe(201);
    const again = await create(server.url, token, 10, randomBytes(10));
    expect(again.status).toBe(409);
    const meta = capability({ max: 100 });
    expect((await create(server.url, meta.token, 10, undefined, { 'upload-metadata': 'filename aGVsbG8=' })).status).toBe(400);
    const deferred = capability({ max: 100 });
    const r = await raw(`${server.url}/v1/blobs`, 'POST', { ...tus(deferred.token), 'upload-defer-length': '1' });
    expect(r.status).toBe(400);
  });

  it('a foreign, expired, forged or missing capability gets 401', async () => {
    const { key, token } = capability({ max: 100 });
    expect((await create(server.url, token, 20, randomBytes(10))).status).toBe(201);
    const other = capability({ max: 100 });
    expect((await patch(server.url, key, other.token, 10, randomBytes(10))).status).toBe(401);
    expect((await raw(`${server.url}/v1/blobs/${key}`, 'HEAD', tus(other.token))).status).toBe(401);
    expect((await raw(`${server.url}/v1/blobs/${key}`, 'DELETE', tus(other.token))).status).toBe(401);
    const expired = capability({ key, max: 100, expiresAt: Date.now() - 1 });
    expect((await patch(server.url, key, expired.token, 10, randomBytes(10))).status).toBe(401);
    const forged = capability({ key, max: 100, privateKey: generateRelayCredentialKeyPair().privateKey });
    const f = await patch(server.url, key, forged.token, 10, randomBytes(10));
    expect(f.status).toBe(401);
    expect(errorCode(f)).toBe('UNAUTHORIZED');
    expect((await create(server.url, 'garbage', 10)).status).toBe(401);
    expect((await raw(`${server.url}/v1/blobs`, 'POST', { 'tus-resumable': '1.0.0', 'upload-length': '10' })).status).toBe(401);
    expect(await offsetOf(server.url, key, token)).toBe(10);
  });

  it('two concurrent PATCHes at the same offset: exactly one wins', async () => {
    const size = 4 * 2 ** 20;
    const { key, token } = capability({ max: size });
    expect((await create(server.url, token, size)).status).toBe(201);
    const a = randomBytes(size);
    const b = randomBytes(size);
    const results = await Promise.all([patch(server.url, key, token, 0, a), patch(server.url, key, token, 0, b)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect([409, 423]).toContain(statuses.find((s) => s !== 204));
    const winner = results[0]!.status === 204 ? a : b;
    const got = await raw(`${server.url}/v1/blobs/${key}`, 'GET', {});
    expect(got.body.equals(winner)).toBe(true);
  });

  it('Range GET gives 206 with the right bytes; bad ranges 416; HEAD gives the length', async () => {
    const data = randomBytes(100_000);
    const { key, token } = capability({ max: data.length });
    expect((await create(server.url, token, data.length, data)).status).toBe(201);
    const r = await raw(`${server.url}/v1/blobs/${key}`, 'GET', { range: 'bytes=1000-1999' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 1000-1999/${data.length}`);
    expect(r.body.equals(data.subarray(1000, 2000))).toBe(true);
    const open = await raw(`${server.url}/v1/blobs/${key}`, 'GET', { range: 'bytes=99990-' });
    expect(open.body.equals(data.subarray(99990))).toBe(true);
    const suffix = await raw(`${server.url}/v1/blobs/${key}`, 'GET', { range: 'bytes=-5' });
    expect(suffix.body.equals(data.subarray(data.length - 5))).toBe(true);
    const bad = await raw(`${server.url}/v1/blobs/${key}`, 'GET', { range: 'bytes=200000-' });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${data.length}`);
    const head = await raw(`${server.url}/v1/blobs/${key}`, 'HEAD', {});
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(data.length));
    expect((await raw(`${server.url}/v1/blobs/${newKey()}`, 'GET', {})).status).toBe(404);
    expect((await raw(`${server.url}/v1/blobs/not-a-key`, 'GET', {})).status).toBe(400);
  });

  it('the server stores only ciphertext: a canary plaintext is never on its disk, and no names', async () => {
    const canary = Buffer.from('SEALPOST-CANARY-PLAINTEXT-7f3a9c '.repeat(4000));
    const key64 = randomBytes(64);
    const enc = new AttachmentEncryptor(key64, randomBytes(16), canary.length);
    const blob = Buffer.concat([...enc.update(canary), ...enc.finish()]);
    const { key, token } = capability({ max: blob.length });
    expect((await create(server.url, token, blob.length, blob)).status).toBe(201);
    const files = readdirSync(server.directory);
    expect(files).toContain(key);
    for (const f of files) {
      const bytes = readFileSync(join(server.directory, f));
      expect(bytes.includes(Buffer.from('SEALPOST-CANARY')), f).toBe(false);
      expect(bytes.includes(Buffer.from('holiday.jpg')), f).toBe(false);
    }
    expect(readFileSync(join(server.directory, key)).equals(blob)).toBe(true);
  });

  it('termination (DELETE) removes an upload', async () => {
    const { key, token } = capability({ max: 100 });
    expect((await create(server.url, token, 50, randomBytes(50))).status).toBe(201);
    expect((await raw(`${server.url}/v1/blobs/${key}`, 'DELETE', tus(token))).status).toBe(204);
    expect((await raw(`${server.url}/v1/blobs/${key}`, 'GET', {})).status).toBe(404);
  });
});
