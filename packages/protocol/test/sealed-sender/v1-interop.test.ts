/**
 * Sealed sender v1 against libsignal-client 0.90, both directions:
 * libsignal's `sealedSenderEncrypt` opened by us, and our `sealV1` opened by
 * libsignal's `sealedSenderDecryptToUsmc` and `sealedSenderDecryptMessage`
 * (which also decrypts the inner session message).
 */
import { describe, expect, it } from 'vitest';
import {
  PrivateKey,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
} from '@signalapp/libsignal-client';
import { SealpostError } from '../../src/errors.ts';
import { openV1, sealV1, SEALED_SENDER_V1_VERSION } from '../../src/sealed-sender/v1.ts';
import { ab } from '@sealpost/devkit/libsignal';
import { identityOf, libsignalUsmc, makeTrustChain, newPeer, senderCertificateFor } from './helpers.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SealpostError);
    return (e as SealpostError).code;
  }
  return undefined;
}

describe('sealed sender v1 interop (libsignal-client 0.90)', () => {
  it('libsignal seals with sealedSenderEncrypt, we open it', async () => {
    const chain = makeTrustChain();
    const alice = newPeer(1);
    const bob = newPeer(2);
    const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
    const usmc = await libsignalUsmc(alice, bob, cert, 1, new Uint8Array([9, 9]));
    await alice.identityStore.saveIdentity(bob.address, bob.identity.publicKey);
    const sealed = await sealedSenderEncrypt(usmc, bob.address, alice.identityStore);
    expect(sealed[0]).toBe(SEALED_SENDER_V1_VERSION);

    const opened = openV1(sealed, identityOf(bob));
    expect(opened.usmc).toEqual(usmc.serialize());
    expect(opened.senderIdentityKey).toEqual(alice.identity.publicKey.serialize().subarray(1));
    // A third party's key opens nothing.
    expect(codeOf(() => openV1(sealed, identityOf(newPeer())))).toBe('DECRYPTION_FAILED');
  });

  it('we seal with sealV1, libsignal opens it (DecryptToUsmc and full DecryptMessage)', async () => {
    const chain = makeTrustChain();
    const alice = newPeer(3);
    const bob = newPeer(1);
    const cert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
    const plaintext = new TextEncoder().encode('from our sealV1 to libsignal');
    const usmc = await libsignalUsmc(alice, bob, cert, 0, null, plaintext);

    const sealed = sealV1({ content: usmc.serialize(), senderIdentity: identityOf(alice), recipientIdentityPublic: bob.identityPublic });
    const got = await sealedSenderDecryptToUsmc(ab(sealed), bob.identityStore);
    expect(got.serialize()).toEqual(usmc.serialize());
    expect(got.senderCertificate().senderUuid()).toBe(alice.name);

    const result = await sealedSenderDecryptMessage(
      ab(sealed),
      chain.trustRoot.getPublicKey(),
      Date.now(),
      null,
      bob.name,
      bob.deviceId,
      bob.sessionStore,
      bob.identityStore,
      bob.preKeyStore,
      bob.signedPreKeyStore,
      bob.kyberPreKeyStore,
    );
    expect(result.message()).toEqual(plaintext);
    expect(result.senderUuid()).toBe(alice.name);
    expect(result.deviceId()).toBe(3);
  });

  it('is deterministic given the ephemeral key, and lays out libsignal\'s wire format', async () => {
    const alice = newPeer();
    const bob = newPeer();
    const eph = PrivateKey.generate();
    const ephemeralKeyPair = { privateKey: eph.serialize(), publicKey: eph.getPublicKey().serialize() };
    const content = { type: 2 as const, senderCertificate: new Uint8Array([1, 2, 3]), contents: new Uint8Array(50).fill(4) };
    const a = sealV1({ content, senderIdentity: identityOf(alice), recipientIdentityPublic: bob.identityPublic, ephemeralKeyPair });
    const b = sealV1({ content, senderIdentity: identityOf(alice), recipientIdentityPublic: bob.identityPublic, ephemeralKeyPair });
    const c = sealV1({ content, senderIdentity: identityOf(alice), recipientIdentityPublic: bob.identityPublic });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // 0x11, field 1 (33-byte ephemeral key), field 2 (33 + 10 bytes), field 3.
    expect(Array.from(a.subarray(0, 3))).toEqual([0x11, 0x0a, 33]);
    expect(a.subarray(3, 36)).toEqual(eph.getPublicKey().serialize());
    expect(Array.from(a.subarray(36, 38))).toEqual([0x12, 43]);
    // Raw (32-byte) and serialized (33-byte) public keys are interchangeable inputs.
    const raw = sealV1({
      content,
      senderIdentity: { privateKey: alice.identity.privateKey.serialize(), publicKey: alice.identityPublic.subarray(1) },
      recipientIdentityPublic: bob.identityPublic.subarray(1),
      ephemeralKeyPair,
    });
    expect(raw).toEqual(a);
  });

  it('refuses tampered, truncated and unknown-version envelopes with typed errors', () => {
    const alice = newPeer();
    const bob = newPeer();
    const sealed = sealV1({
      content: { type: 2, senderCertificate: new Uint8Array([1]), contents: new Uint8Array(20) },
      senderIdentity: identityOf(alice),
      recipientIdentityPublic: bob.identityPublic,
    });
    const copy = sealed.slice();
    const bobId = identityOf(bob);
    // Flip one bit in each region: ephemeral key, encrypted static key, encrypted message.
    for (const at of [10, 36 + 2 + 5, sealed.length - 3, sealed.length - 1]) {
      const t = sealed.slice();
      t[at]! ^= 0x01;
      expect(['DECRYPTION_FAILED', 'INVALID_MESSAGE', 'INVALID_KEY']).toContain(codeOf(() => openV1(t, bobId)));
    }
    expect(codeOf(() => openV1(new Uint8Array(0), bobId))).toBe('INVALID_MESSAGE');
    const v3 = sealed.slice();
    v3[0] = 0x31;
    expect(codeOf(() => openV1(v3, bobId))).toBe('INVALID_VERSION');
    for (let n = 1; n < sealed.length; n += 7) {
      expect(['DECRYPTION_FAILED', 'INVALID_MESSAGE']).toContain(codeOf(() => openV1(sealed.subarray(0, n), bobId)));
    }
    expect(sealed).toEqual(copy);
  });
});
