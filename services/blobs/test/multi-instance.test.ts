/**
 * Two blob-service instances over one shared directory and one PostgreSQL:
 * an upload moves between instances, concurrent writers to one upload on
 * different instances never both write, and the per-device quota is one
 * quota however creations are spread.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@sealpost/devkit/postgres';
import { capability, create, errorCode, patch, raw, startBlobServer, tus } from './helpers.ts';

type Server = Awaited<ReturnType<typeof startBlobServer>>;

/** A PATCH whose body arrives in two halves `pauseMs` apart (so its write lock is held meanwhile). */
function slowPatch(url: string, key: string, token: string, offset: number, body: Uint8Array, pauseMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/blobs/${key}`, {
      method: 'PATCH',
      headers: { ...tus(token), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(body.length) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    const half = body.length >> 1;
    req.write(body.subarray(0, half), () => setTimeout(() => req.end(body.subarray(half)), pauseMs));
  });
}

describe.runIf(postgresAvailable())('blob service: two instances, one directory, one PostgreSQL', () => {
  let db: TestDatabase;
  let a: Server;
  let b: Server;
  beforeAll(async () => {
    db = await createTestDatabase();
    const directory = mkdtempSync(join(tmpdir(), 'sealpost-blobs-shared-'));
    const settings = { uploadRateLimit: { burst: 4, perSecond: 0.0001 } };
    [a, b] = await Promise.all([startBlobServer(settings, { directory, databaseUrl: db.url }), startBlobServer(settings, { directory, databaseUrl: db.url })]);
  });
  afterAll(async () => {
    await Promise.all([a?.app.close(), b?.app.close()]);
    await db?.drop();
  });

  it('an upload created on A is resumed on B and downloads identically from both', async () => {
    const data = randomBytes(300_000);
    const { key, token } = capability({ max: data.length, subject: 'BBBBBBBBBBBBBBBBBBBBBB' });
    expect((await create(a.url, token, data.length, data.subarray(0, 100_000))).status).toBe(201);
    const head = await raw(`${b.url}/v1/blobs/${key}`, 'HEAD', tus(token));
    expect(head.status).toBe(200);
    expect(Number(head.headers['upload-offset'])).toBe(100_000);
    const done = await patch(b.url, key, token, 100_000, data.subarray(100_000));
    expect(done.status).toBe(204);
    const digest = createHash('sha256').update(data).digest('hex');
    for (const s of [a, b]) {
      const got = await raw(`${s.url}/v1/blobs/${key}`, 'GET', {});
      expect(got.status).toBe(200);
      expect(createHash('sha256').update(got.body).digest('hex')).toBe(digest);
    }
  });

  it('while A writes an upload, a PATCH to it on B gets 423 (the lock is shared), and only A’s bytes land', async () => {
    const first = randomBytes(64 * 1024);
    const intruder = randomBytes(64 * 1024);
    const { key, token } = capability({ max: first.length, subject: 'CCCCCCCCCCCCCCCCCCCCCC' });
    expect((await create(a.url, token, first.length)).status).toBe(201);
    const slow = slowPatch(a.url, key, token, 0, first, 1_600);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const other = await patch(b.url, key, token, 0, intruder);
    expect(other.status).toBe(423);
    expect(errorCode(other)).toBe('LOCKED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it waited for the lock, then gave up
    expect(await slow).toBe(204);
    const got = await raw(`${b.url}/v1/blobs/${key}`, 'GET', {});
    expect(Buffer.compare(got.body, first)).toBe(0);
    // Once A is done, B may write the next upload's bytes (the lock was released).
    const again = capability({ max: 10, subject: 'CCCCCCCCCCCCCCCCCCCCCC' });
    expect((await create(b.url, again.token, 10)).status).toBe(201);
    expect((await patch(a.url, again.key, again.token, 0, randomBytes(10))).status).toBe(204);
  });

  it('one device’s creation quota is shared: spread over A and B it still allows only the burst', async () => {
    const subject = 'DDDDDDDDDDDDDDDDDDDDDD';
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { token } = capability({ max: 10, subject });
      statuses.push((await create(i % 2 === 0 ? a.url : b.url, token, 10)).status);
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(4);
    expect(statuses.slice(4).every((s) => s === 429)).toBe(true);
    // Another device is unaffected.
    expect((await create(b.url, capability({ max: 10, subject: 'EEEEEEEEEEEEEEEEEEEEEE' }).token, 10)).status).toBe(201);
  });
});
