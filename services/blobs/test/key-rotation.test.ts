/**
 * Key rotation over real HTTP: the key server restarts with a new
 * credential key; the blob service accepts upload capabilities of the
 * current key, and of the previous one until the overlap ends (an upload
 * begun with an old capability can be resumed until then, not after); a
 * retired key is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyUploadCapability } from '@sealpost/protocol';
import { rotatingVerifier, type CredentialKeys } from '@sealpost/service-kit';
import { startRotatingKeyServer, type RotatingKeyServer } from '@sealpost/devkit/services';
import { buildBlobServer } from '../src/index.ts';
import { create, patch } from './helpers.ts';

interface Form {
  key: string;
  token: string;
}

let ks: RotatingKeyServer;
let oldForms: Form[];
let newForm: Form;
const dirs: string[] = [];

beforeAll(async () => {
  ks = await startRotatingKeyServer();
  const auth = await ks.account();
  const form = () => ks.call<Form>('POST', '/v1/attachments/form', auth, { uploadLength: 10 });
  oldForms = [await form(), await form(), await form()];
  await ks.rotate();
  newForm = await form();
}, 30_000);
afterAll(async () => {
  await ks?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function blobs(keys: CredentialKeys, clock: { now: number }) {
  const directory = mkdtempSync(join(tmpdir(), 'blobs-rotation-'));
  dirs.push(directory);
  const app = await buildBlobServer({
    directory,
    verifyCapability: rotatingVerifier(keys, (k) => (token, now) => verifyUploadCapability(token, k, now)),
    settings: { sweepIntervalMs: 0, minFreeDiskBytes: 0 },
    now: () => clock.now,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

describe('key rotation (blob service)', () => {
  it('the key server signs forms with the new key after the restart', () => {
    expect(verifyUploadCapability(oldForms[0]!.token, ks.gen1.credentialPublicKey, Date.now())).toBeDefined();
    expect(verifyUploadCapability(newForm.token, ks.gen2.credentialPublicKey, Date.now())).toBeDefined();
    expect(verifyUploadCapability(newForm.token, ks.gen1.credentialPublicKey, Date.now())).toBeUndefined();
  });

  it('previous-key capabilities work until the overlap ends, then are refused; current ones throughout', async () => {
    const clock = { now: Date.now() };
    const until = clock.now + 60_000;
    const s = await blobs({ current: ks.gen2.credentialPublicKey, previous: ks.gen1.credentialPublicKey, previousUntil: until }, clock);
    try {
      const [first, second] = oldForms as [Form, Form];
      expect((await create(s.url, first.token, 10, new Uint8Array(4))).status).toBe(201);
      expect((await patch(s.url, first.key, first.token, 4, new Uint8Array(2))).status).toBe(204);
      clock.now = until;
      // The overlap is over: the upload begun with the old key cannot go on, nor can a new one start.
      expect((await patch(s.url, first.key, first.token, 6, new Uint8Array(4))).status).toBe(401);
      expect((await create(s.url, second.token, 10, new Uint8Array(10))).status).toBe(401);
      expect((await create(s.url, newForm.token, 10, new Uint8Array(10))).status).toBe(201);
    } finally {
      await s.app.close();
    }
  });

  it('a retired key is refused', async () => {
    const s = await blobs({ current: ks.gen2.credentialPublicKey }, { now: Date.now() });
    try {
      expect((await create(s.url, oldForms[2]!.token, 10, new Uint8Array(10))).status).toBe(401);
    } finally {
      await s.app.close();
    }
  });
});
