/**
 * Key rotation over real HTTP. The key server restarts with a new
 * credential key and a new server certificate (same trust root); the relay
 * accepts credentials of the current key, and of the previous one until the
 * overlap ends; a retired key is refused. Sender certificates of both
 * server certificates validate under the one trust root clients pin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKey, SenderCertificate } from '@signalapp/libsignal-client';
import { relayCredentialVerifier, verifyRelayCredential } from '@sealpost/protocol';
import { fromBase64 } from '@sealpost/protocol/primitives';
import { checkSenderCertificate } from '@sealpost/protocol/sealed-sender';
import { rotatingVerifier } from '@sealpost/service-kit';
import { startRotatingKeyServer, type RotatingKeyServer } from '@sealpost/devkit/services';
import { buildRelay } from '../src/index.ts';

const AUDIENCE = 'https://relay.rotation.test';
let ks: RotatingKeyServer;
let auth: string;
let oldToken: string;
let oldCertificate: Uint8Array;
let newToken: string;
let newCertificate: Uint8Array;

beforeAll(async () => {
  ks = await startRotatingKeyServer();
  auth = await ks.account();
  oldToken = (await ks.call<{ token: string }>('GET', `/v1/credentials/relay?audience=${encodeURIComponent(AUDIENCE)}`, auth)).token;
  oldCertificate = fromBase64((await ks.call<{ certificate: string }>('GET', '/v1/certificate/sender', auth)).certificate);
  await ks.rotate();
  newToken = (await ks.call<{ token: string }>('GET', `/v1/credentials/relay?audience=${encodeURIComponent(AUDIENCE)}`, auth)).token;
  newCertificate = fromBase64((await ks.call<{ certificate: string }>('GET', '/v1/certificate/sender', auth)).certificate);
}, 30_000);
afterAll(async () => ks?.close());

/** A relay on loopback trusting `keys`, on the test's clock. */
async function relay(keys: Parameters<typeof rotatingVerifier>[0], clock: { now: number }) {
  const app = await buildRelay({
    verifyCredential: rotatingVerifier(keys, (k) => relayCredentialVerifier(k)),
    keyserverUrl: ks.url(),
    audience: AUDIENCE,
    now: () => clock.now,
    expirySweepMs: 0,
    log: { level: 'silent' },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const poll = async (token: string) => (await fetch(`${url}/v1/messages`, { headers: { authorization: `Bearer ${token}` } })).status;
  return { app, poll };
}

describe('key rotation', () => {
  it('the key server signs with the new key after the restart', () => {
    const now = Date.now();
    expect(verifyRelayCredential(oldToken, ks.gen1.credentialPublicKey, now)).toBeDefined();
    expect(verifyRelayCredential(newToken, ks.gen2.credentialPublicKey, now)).toBeDefined();
    expect(verifyRelayCredential(newToken, ks.gen1.credentialPublicKey, now)).toBeUndefined();
  });

  it('the relay accepts the previous key until the overlap ends (also for a token it has cached), the current key throughout', async () => {
    const clock = { now: Date.now() };
    const until = clock.now + 60_000;
    const r = await relay({ current: ks.gen2.credentialPublicKey, previous: ks.gen1.credentialPublicKey, previousUntil: until }, clock);
    try {
      expect(await r.poll(oldToken)).toBe(200);
      expect(await r.poll(newToken)).toBe(200);
      clock.now = until - 1;
      expect(await r.poll(oldToken)).toBe(200);
      clock.now = until;
      expect(await r.poll(oldToken)).toBe(401);
      expect(await r.poll(newToken)).toBe(200);
    } finally {
      await r.app.close();
    }
  });

  it('a retired key is refused: a relay that no longer lists it answers 401', async () => {
    const r = await relay({ current: ks.gen2.credentialPublicKey }, { now: Date.now() });
    try {
      expect(await r.poll(oldToken)).toBe(401);
      expect(await r.poll(newToken)).toBe(200);
    } finally {
      await r.app.close();
    }
  });

  it('sender certificates of the old and the new server certificate both validate under the unchanged trust root (interop: libsignal agrees)', () => {
    const now = Date.now();
    const before = checkSenderCertificate(oldCertificate, [ks.trustRoot], now);
    const after = checkSenderCertificate(newCertificate, [ks.trustRoot], now);
    expect(before.signer).toMatchObject({ embedded: { keyId: ks.gen1.keyId } });
    expect(after.signer).toMatchObject({ embedded: { keyId: ks.gen2.keyId } });
    const root = PublicKey.deserialize(new Uint8Array(ks.trustRoot));
    for (const [cert, keyId] of [
      [oldCertificate, 1],
      [newCertificate, 2],
    ] as const) {
      const lib = SenderCertificate.deserialize(new Uint8Array(cert));
      expect(lib.validate(root, now)).toBe(true);
      expect(lib.serverCertificate().keyId()).toBe(keyId);
    }
  });
});
