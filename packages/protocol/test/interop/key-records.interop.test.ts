/**
 * Key records and signatures, crossed with libsignal-client 0.90.0: records
 * we serialize load in libsignal and vice versa, and each side verifies the
 * other's XEdDSA prekey signatures.
 */
import { describe, expect, it } from 'vitest';
import {
  IdentityKeyPair as LsIdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord as LsKyberPreKeyRecord,
  PreKeyRecord as LsPreKeyRecord,
  PrivateKey,
  PublicKey,
  SignedPreKeyRecord as LsSignedPreKeyRecord,
} from '@signalapp/libsignal-client';
import { deserializeIdentityKeyPair, generateIdentityKeyPair, serializeIdentityKeyPair, verifyIdentitySignature } from '../../src/keys/identity-key.ts';
import {
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSignedPreKeyRecord,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSignedPreKeyRecord,
} from '../../src/keys/prekey-records.ts';
import { kyberDecapsulate, kyberEncapsulate } from '../../src/keys/kem-key.ts';
import { ab } from '@sealpost/devkit/libsignal';
import { LibsignalPeer } from '@sealpost/devkit/libsignal';

describe('interop: key records with libsignal-client 0.90.0', () => {
  it('interop: our identity, prekey, signed prekey and Kyber prekey records load in libsignal', () => {
    const identity = generateIdentityKeyPair();
    const ls = LsIdentityKeyPair.deserialize(ab(serializeIdentityKeyPair(identity)));
    expect(ls.publicKey.serialize()).toEqual(identity.publicKey);
    expect(ls.privateKey.serialize()).toEqual(identity.privateKey);

    const pre = generatePreKey(17);
    const lsPre = LsPreKeyRecord.deserialize(ab(serializePreKeyRecord(pre)));
    expect(lsPre.id()).toBe(17);
    expect(lsPre.publicKey().serialize()).toEqual(pre.keyPair.publicKey);
    expect(lsPre.privateKey().serialize()).toEqual(pre.keyPair.privateKey);

    const signed = generateSignedPreKey({ identity, id: 5, timestamp: 1_700_000_000_000 });
    const lsSigned = LsSignedPreKeyRecord.deserialize(ab(serializeSignedPreKeyRecord(signed)));
    expect(lsSigned.id()).toBe(5);
    expect(lsSigned.timestamp()).toBe(1_700_000_000_000);
    expect(lsSigned.publicKey().serialize()).toEqual(signed.keyPair.publicKey);
    // libsignal verifies our XEdDSA signature over the serialized key.
    expect(ls.publicKey.verify(lsSigned.publicKey().serialize(), lsSigned.signature())).toBe(true);

    const kyber = generateKyberPreKey({ identity, id: 9, timestamp: 1_700_000_000_001 });
    const lsKyber = LsKyberPreKeyRecord.deserialize(ab(serializeKyberPreKeyRecord(kyber)));
    expect(lsKyber.id()).toBe(9);
    expect(lsKyber.publicKey().serialize()).toEqual(kyber.keyPair.publicKey);
    expect(lsKyber.secretKey().serialize()).toEqual(kyber.keyPair.secretKey);
    expect(ls.publicKey.verify(ab(kyber.keyPair.publicKey), lsKyber.signature())).toBe(true);
    console.log('interop: key records: ours->libsignal 4 records loaded, 2 signatures verified (0 messages either way)');
  });

  it('interop: libsignal records and signatures load and verify in ours', () => {
    const peer = new LibsignalPeer({ name: 'ls', registrationId: 3 });
    const bundle = peer.generateBundle({ withOneTimePreKey: true });
    expect(verifyIdentitySignature(bundle.identityKey, bundle.signedPreKeyPublic, bundle.signedPreKeySignature)).toBe(true);
    expect(verifyIdentitySignature(bundle.identityKey, bundle.kyberPreKeyPublic, bundle.kyberPreKeySignature)).toBe(true);
    // A signature over a different key does not verify.
    expect(verifyIdentitySignature(bundle.identityKey, bundle.preKeyPublic!, bundle.signedPreKeySignature)).toBe(false);

    const identity = deserializeIdentityKeyPair(peer.identity.serialize());
    expect(identity.publicKey).toEqual(bundle.identityKey);

    const lsPriv = PrivateKey.generate();
    const pre = deserializePreKeyRecord(LsPreKeyRecord.new(4, lsPriv.getPublicKey(), lsPriv).serialize());
    expect(pre.id).toBe(4);
    expect(pre.keyPair.publicKey).toEqual(lsPriv.getPublicKey().serialize());

    const sig = peer.identity.privateKey.sign(lsPriv.getPublicKey().serialize());
    const signed = deserializeSignedPreKeyRecord(
      LsSignedPreKeyRecord.new(6, 1234, lsPriv.getPublicKey(), lsPriv, sig).serialize(),
    );
    expect(signed).toMatchObject({ id: 6, timestamp: 1234 });
    expect(signed.signature).toEqual(sig);

    const pair = KEMKeyPair.generate();
    const kyberSig = peer.identity.privateKey.sign(pair.getPublicKey().serialize());
    const kyber = deserializeKyberPreKeyRecord(LsKyberPreKeyRecord.new(8, 99, pair, kyberSig).serialize());
    expect(kyber.keyPair.publicKey).toEqual(pair.getPublicKey().serialize());
    expect(kyber.keyPair.secretKey).toEqual(pair.getSecretKey().serialize());
    expect(verifyIdentitySignature(bundle.identityKey, kyber.keyPair.publicKey, kyber.signature)).toBe(true);
    // libsignal's key pair works with our KEM: encapsulating to its public key
    // and decapsulating with its secret key agree (libsignal's own
    // encapsulation is exercised by the session tests).
    const { ciphertext, sharedSecret } = kyberEncapsulate(kyber.keyPair.publicKey);
    expect(ciphertext.length).toBe(1569);
    expect(kyberDecapsulate(kyber.keyPair.secretKey, ciphertext)).toEqual(sharedSecret);
    expect(PublicKey.deserialize(ab(bundle.identityKey)).serialize()).toEqual(bundle.identityKey);
    console.log('interop: key records: libsignal->ours 4 records loaded, 3 signatures verified (0 messages either way)');
  });
});
