/**
 * End to end with libsignal-client 0.90 on both sides: a libsignal device
 * uploads its keys here, another fetches its bundle over HTTP and starts a
 * PQXDH session with it — once with one-time keys, once on the last-resort
 * Kyber key — and the first device decrypts both messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibsignalPeer, type RawPreKeyBundle } from '@sealpost/devkit/libsignal';
import { basicAuthHeader } from '../src/index.ts';
import { b64, call, createAccount, startServer, type RunningServer } from './support.ts';
import { randomBytes } from '@sealpost/protocol/primitives';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server.close());

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

function rawBundle(json: any, deviceIndex = 0): RawPreKeyBundle {
  const d = json.devices[deviceIndex];
  return {
    registrationId: d.registrationId,
    deviceId: d.deviceId,
    preKeyId: d.preKey?.keyId ?? null,
    preKeyPublic: d.preKey ? bytes(d.preKey.publicKey) : null,
    signedPreKeyId: d.signedPreKey.keyId,
    signedPreKeyPublic: bytes(d.signedPreKey.publicKey),
    signedPreKeySignature: bytes(d.signedPreKey.signature),
    identityKey: bytes(json.identityKey),
    kyberPreKeyId: d.pqPreKey.keyId,
    kyberPreKeyPublic: bytes(d.pqPreKey.publicKey),
    kyberPreKeySignature: bytes(d.pqPreKey.signature),
  };
}

describe('bundles served to libsignal-client', () => {
  it('start sessions libsignal can decrypt, with one-time keys and on the last-resort key', async () => {
    const bob = new LibsignalPeer({ name: 'bob', registrationId: 777 });
    // Two generated sets: the first's Kyber key becomes the last-resort key, the second supplies the rest.
    const first = bob.generateBundle({ withOneTimePreKey: false });
    const second = bob.generateBundle({ withOneTimePreKey: true });
    const secret = randomBytes(32);
    const created = await call(server, 'POST', '/v1/accounts', {
      body: {
        identityKey: b64(bob.identityPublic),
        registrationId: 777,
        deviceSecret: b64(secret),
        signedPreKey: { keyId: second.signedPreKeyId, publicKey: b64(second.signedPreKeyPublic), signature: b64(second.signedPreKeySignature) },
        pqLastResortPreKey: { keyId: first.kyberPreKeyId, publicKey: b64(first.kyberPreKeyPublic), signature: b64(first.kyberPreKeySignature) },
      },
    });
    expect(created.status).toBe(201);
    const bobAuth = basicAuthHeader(created.body.accountId, 1, secret);
    const upload = await call(server, 'PUT', '/v1/keys', {
      auth: bobAuth,
      body: {
        preKeys: [{ keyId: second.preKeyId, publicKey: b64(second.preKeyPublic!) }],
        pqPreKeys: [{ keyId: second.kyberPreKeyId, publicKey: b64(second.kyberPreKeyPublic), signature: b64(second.kyberPreKeySignature) }],
      },
    });
    expect(upload.body).toEqual({ count: 1, pqCount: 1 });

    const requester = await createAccount(server);
    for (const [i, expectLastResort] of [[0, false], [1, true]] as const) {
      const fetched = await call(server, 'GET', `/v1/keys/${created.body.accountId}/1`, { auth: requester.auth });
      expect(fetched.status).toBe(200);
      const raw = rawBundle(fetched.body);
      expect(fetched.body.devices[0].pqPreKeyIsLastResort).toBe(expectLastResort);
      expect(raw.preKeyId).toBe(expectLastResort ? null : second.preKeyId);
      expect(raw.kyberPreKeyId).toBe(expectLastResort ? first.kyberPreKeyId : second.kyberPreKeyId);

      const alice = new LibsignalPeer({ name: `alice${i}` });
      await alice.processBundle(bob.address, raw); // libsignal checks both prekey signatures here
      const plaintext = new TextEncoder().encode(`hello ${i}`);
      const message = await alice.encrypt(bob.address, plaintext);
      expect(await bob.decrypt(alice.address, message)).toEqual(plaintext);
    }
  });
});
