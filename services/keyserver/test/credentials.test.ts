import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublicKey, SenderCertificate as LibSenderCertificate, ServerCertificate as LibServerCertificate } from '@signalapp/libsignal-client';
import { x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { checkSenderCertificate, createServerCertificate } from '@sealpost/protocol/sealed-sender';
import {
  generateRelayCredentialKeyPair,
  relayCredentialVerifier,
  verifyRelayCredential,
} from '../src/index.ts';
import { call, createAccount, linkDevice, startServer, type RunningServer } from './support.ts';

const ab = (u: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(u);

const root = x25519GenerateKeyPair();
const rootPublic = Uint8Array.of(0x05, ...root.publicKey);
const certKey = x25519GenerateKeyPair();
const serverCert = createServerCertificate({ keyId: 42, serverPublicKey: certKey.publicKey, trustRootPrivateKey: root.privateKey });
const relayKey = generateRelayCredentialKeyPair();
let now = 1_800_000_000_000;
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    now: () => now,
    senderCertificate: { certificate: serverCert.serialized, privateKey: certKey.privateKey },
    relayCredentialKey: relayKey,
    settings: { senderCertificateTtlMs: 3_600_000, relayCredentialTtlMs: 600_000 },
  });
});
afterAll(async () => server.close());

describe('sender certificates', () => {
  it('issues certificates libsignal-client validates against the trust root', async () => {
    const a = await createAccount(server);
    const linked = await linkDevice(server, a);
    const res = await call(server, 'GET', '/v1/certificate/sender', { auth: linked.auth });
    expect(res.status).toBe(200);
    expect(res.body.expiresAt).toBe(now + 3_600_000);
    const bytes = new Uint8Array(Buffer.from(res.body.certificate, 'base64'));
    const lib = LibSenderCertificate.deserialize(ab(bytes));
    expect(lib.senderUuid()).toBe(a.accountId);
    expect(lib.senderAci()?.getServiceIdString()).toBe(a.accountId);
    expect(lib.senderDeviceId()).toBe(2);
    expect(lib.key().serialize()).toEqual(ab(a.identity.publicKey));
    expect(lib.expiration()).toBe(now + 3_600_000);
    const trustRoot = PublicKey.deserialize(ab(rootPublic));
    expect(lib.validate(trustRoot, now)).toBe(true);
    expect(lib.validate(trustRoot, now + 3_600_001)).toBe(false);
    expect(lib.validate(PublicKey.deserialize(ab(Uint8Array.of(0x05, ...x25519GenerateKeyPair().publicKey))), now)).toBe(false);
    // And by our own validator.
    expect(checkSenderCertificate(bytes, rootPublic, now).senderDeviceId).toBe(2);
  });

  it('publishes the server certificate (not the trust root)', async () => {
    const res = await call(server, 'GET', '/v1/certificate/server');
    expect(res.body.keyId).toBe(42);
    const lib = LibServerCertificate.deserialize(ab(new Uint8Array(Buffer.from(res.body.certificate, 'base64'))));
    expect(lib.key().serialize()).toEqual(ab(Uint8Array.of(0x05, ...certKey.publicKey)));
  });

  it('refuses to start with a private key that does not match the server certificate', async () => {
    await expect(startServer({ senderCertificate: { certificate: serverCert.serialized, privateKey: x25519GenerateKeyPair().privateKey } })).rejects.toThrow(
      /does not match/,
    );
  });

  it('answers 503 when no server certificate is configured', async () => {
    const bare = await startServer();
    try {
      const a = await createAccount(bare);
      const res = await call(bare, 'GET', '/v1/certificate/sender', { auth: a.auth });
      expect([res.status, res.body.error.code]).toEqual([503, 'NOT_CONFIGURED']);
      expect((await call(bare, 'GET', '/v1/credentials/relay', { auth: a.auth })).status).toBe(503);
    } finally {
      await bare.close();
    }
  });
});

describe('relay credentials', () => {
  it('issues tokens the relay verifies with the public key alone', async () => {
    const a = await createAccount(server, { registrationId: 777 });
    const audience = 'https://relay.example';
    const res = await call(server, 'GET', `/v1/credentials/relay?audience=${encodeURIComponent(audience)}`, { auth: a.auth });
    expect(res.status).toBe(200);
    const expected = { accountId: a.accountId, deviceId: 1, registrationId: 777, expiresAt: now + 600_000, audience };
    expect(res.body).toMatchObject(expected);
    const pub = new Uint8Array(Buffer.from((await call(server, 'GET', '/v1/credentials/relay/public-key')).body.publicKey, 'base64'));
    expect(pub).toEqual(relayKey.publicKey);
    expect(verifyRelayCredential(res.body.token, pub, now)).toEqual(expected);
    const verify = relayCredentialVerifier(pub);
    expect(verify(res.body.token, now + 599_999)?.accountId).toBe(a.accountId);
    expect(verify(res.body.token, now + 600_000)).toBeUndefined();
    expect(res.body.token).toMatch(/^v2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('names an audience: the one asked for, only from the configured list when there is one (issue 11 item 11)', async () => {
    const a = await createAccount(server);
    // No list configured: the client must name the relay; malformed audiences are refused.
    const none = await call(server, 'GET', '/v1/credentials/relay', { auth: a.auth });
    expect([none.status, none.body.error.code]).toEqual([400, 'BAD_AUDIENCE']);
    const spaced = await call(server, 'GET', `/v1/credentials/relay?audience=${encodeURIComponent('a b')}`, { auth: a.auth });
    expect([spaced.status, spaced.body.error.code]).toEqual([400, 'BAD_AUDIENCE']);
    const listed = await startServer({ relayCredentialKey: relayKey, now: () => now, settings: { relayAudiences: ['https://r1.example', 'https://r2.example'] } });
    try {
      const b = await createAccount(listed);
      const byDefault = await call(listed, 'GET', '/v1/credentials/relay', { auth: b.auth });
      expect(byDefault.body.audience).toBe('https://r1.example');
      expect(verifyRelayCredential(byDefault.body.token, relayKey.publicKey, now)?.audience).toBe('https://r1.example');
      const second = await call(listed, 'GET', `/v1/credentials/relay?audience=${encodeURIComponent('https://r2.example')}`, { auth: b.auth });
      expect(verifyRelayCredential(second.body.token, relayKey.publicKey, now)?.audience).toBe('https://r2.example');
      const foreign = await call(listed, 'GET', `/v1/credentials/relay?audience=${encodeURIComponent('https://evil.example')}`, { auth: b.auth });
      expect([foreign.status, foreign.body.error.code]).toEqual([403, 'BAD_AUDIENCE']);
    } finally {
      await listed.close();
    }
  });

  // The token format's forgery cases moved with the format to
  // packages/protocol/test/relay-credential.test.ts.
});
