/**
 * Unsealing with the sender proven: the certificate must be bound to the
 * sealing key (v1 static key / v2 AT), chain to a trusted root, be unexpired,
 * and match the identity on record — with envelopes and certificates made by
 * libsignal-client 0.90 and by us.
 */
import { describe, expect, it } from 'vitest';
import { PrivateKey, sealedSenderDecryptMessage, sealedSenderDecryptToUsmc, sealedSenderEncrypt, sealedSenderMultiRecipientEncrypt } from '@signalapp/libsignal-client';
import { SealpostError } from '../../src/errors.ts';
import { createSenderCertificate, createServerCertificate } from '../../src/sealed-sender/certificates.ts';
import { sealV1, unseal, unsealToContent, splitV2ForRecipient, sealV2MultiRecipient } from '../../src/sealed-sender/index.ts';
import { ab } from '@sealpost/devkit/libsignal';
import { identityOf, libsignalUsmc, makeTrustChain, newPeer, senderCertificateFor } from './helpers.ts';

function errorOf(f: () => unknown): SealpostError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SealpostError);
    return e as SealpostError;
  }
  throw new Error('expected an error');
}

describe('unseal with sender-certificate validation', () => {
  it('accepts libsignal v1 and v2 envelopes with libsignal certificates; checks root, expiry, identity on record, self-send', async () => {
    const chain = makeTrustChain(7);
    const alice = newPeer(2);
    const bob = newPeer(1);
    const expires = Date.now() + 3600_000;
    const cert = senderCertificateFor(chain, alice, expires);
    const usmc = await libsignalUsmc(alice, bob, cert, 0, null);
    await alice.identityStore.saveIdentity(bob.address, bob.identity.publicKey);
    const v1 = await sealedSenderEncrypt(usmc, bob.address, alice.identityStore);
    const v2sent = await sealedSenderMultiRecipientEncrypt({
      content: usmc,
      recipients: [bob.address],
      identityStore: alice.identityStore,
      sessionStore: alice.sessionStore,
    });
    const v2 = splitV2ForRecipient(v2sent, bob.name);
    const root = chain.trustRoot.getPublicKey().serialize();
    const bobId = identityOf(bob);

    for (const [version, message] of [
      [1, v1],
      [2, v2],
    ] as const) {
      const ok = unseal({ message, recipientIdentity: bobId, trustRoots: root, now: expires, expectedSenderIdentityKey: () => alice.identityPublic });
      expect(ok.version).toBe(version);
      expect(ok.usmc).toEqual(usmc.serialize());
      expect(ok.sender.senderUuid).toBe(alice.name);
      expect(ok.sender.senderDeviceId).toBe(2);
      expect(ok.sender.identityKey).toEqual(alice.identityPublic);
      expect(ok.content.contents).toEqual(usmc.contents());
      // Several roots: any one may match.
      expect(unseal({ message, recipientIdentity: bobId, trustRoots: [PrivateKey.generate().getPublicKey().serialize(), root], now: 0 }).version).toBe(version);

      const wrongRoot = errorOf(() => unseal({ message, recipientIdentity: bobId, trustRoots: PrivateKey.generate().getPublicKey().serialize(), now: 0 }));
      expect(wrongRoot.code).toBe('INVALID_CERTIFICATE');
      const expired = errorOf(() => unseal({ message, recipientIdentity: bobId, trustRoots: root, now: expires + 1 }));
      expect(expired.code).toBe('INVALID_CERTIFICATE');
      expect(expired.message).toMatch(/expired/);
      const otherIdentity = errorOf(() =>
        unseal({ message, recipientIdentity: bobId, trustRoots: root, now: 0, expectedSenderIdentityKey: () => newPeer().identityPublic }),
      );
      expect(otherIdentity.code).toBe('INVALID_CERTIFICATE');
      const self = errorOf(() => unseal({ message, recipientIdentity: bobId, trustRoots: root, now: 0, local: { uuid: alice.name.toUpperCase(), deviceId: 2 } }));
      expect(self.code).toBe('INVALID_CERTIFICATE');
    }
  });

  it('refuses a valid certificate that names a different key than the one that sealed (both libsignal and us)', async () => {
    const chain = makeTrustChain();
    const alice = newPeer();
    const mallory = newPeer();
    const bob = newPeer();
    // Mallory seals with her own identity but attaches Alice's (valid) certificate.
    const aliceCert = senderCertificateFor(chain, alice, Date.now() + 3600_000);
    const usmc = await libsignalUsmc(alice, bob, aliceCert, 0, null);
    const forgedV1 = sealV1({ content: usmc.serialize(), senderIdentity: identityOf(mallory), recipientIdentityPublic: bob.identityPublic });
    const forgedV2 = splitV2ForRecipient(
      sealV2MultiRecipient({
        content: usmc.serialize(),
        senderIdentity: identityOf(mallory),
        recipients: [{ serviceId: bob.name, identityKey: bob.identityPublic, devices: [{ deviceId: 1, registrationId: 5 }] }],
      }),
      bob.name,
    );
    for (const forged of [forgedV1, forgedV2]) {
      expect(errorOf(() => unsealToContent(forged, identityOf(bob))).code).toBe('DECRYPTION_FAILED');
      await expect(sealedSenderDecryptToUsmc(ab(forged), bob.identityStore)).rejects.toThrow(/sender certificate key does not match/);
    }
  });

  it('our certificates + our sealV1 are accepted by libsignal sealedSenderDecryptMessage, and by our unseal', async () => {
    const trustRoot = PrivateKey.generate();
    const serverKey = PrivateKey.generate();
    const serverCertificate = createServerCertificate({
      keyId: 42,
      serverPublicKey: serverKey.getPublicKey().serialize(),
      trustRootPrivateKey: trustRoot.serialize(),
    });
    const alice = newPeer(3);
    const bob = newPeer(1);
    const expires = Date.now() + 600_000;
    const ours = createSenderCertificate({
      senderUuid: alice.name,
      senderDeviceId: 3,
      identityKey: alice.identityPublic,
      expires,
      serverCertificate,
      serverPrivateKey: serverKey.serialize(),
    });
    const plaintext = new TextEncoder().encode('certificate and seal both ours');
    // The inner session message is libsignal's; the certificate and seal are ours.
    const libCert = (await import('@signalapp/libsignal-client')).SenderCertificate.deserialize(ab(ours.serialized));
    const usmc = await libsignalUsmc(alice, bob, libCert, 1, null, plaintext);
    const sealed = sealV1({ content: usmc.serialize(), senderIdentity: identityOf(alice), recipientIdentityPublic: bob.identityPublic });

    const mine = unseal({ message: sealed, recipientIdentity: identityOf(bob), trustRoots: trustRoot.getPublicKey().serialize(), now: Date.now() });
    expect(mine.sender.senderDeviceId).toBe(3);
    const result = await sealedSenderDecryptMessage(
      ab(sealed),
      trustRoot.getPublicKey(),
      Date.now(),
      null,
      bob.name,
      1,
      bob.sessionStore,
      bob.identityStore,
      bob.preKeyStore,
      bob.signedPreKeyStore,
      bob.kyberPreKeyStore,
    );
    expect(result.message()).toEqual(plaintext);
    expect(result.senderUuid()).toBe(alice.name);
  });
});
