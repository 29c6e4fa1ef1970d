import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, UntrustedIdentityError } from '../../src/errors.ts';
import { curveAgree, generateCurveKeyPair } from '../../src/keys/curve-key.ts';
import { generateIdentityKeyPair } from '../../src/keys/identity-key.ts';
import { generateKyberKeyPair, kyberEncapsulate } from '../../src/keys/kem-key.ts';
import {
  derivePqxdhKeys,
  pqxdhInitiator,
  pqxdhInitiatorSecretInput,
  pqxdhResponder,
  pqxdhResponderSecretInput,
} from '../../src/pqxdh/pqxdh.ts';
import { hkdfSha256 } from '../../src/primitives/index.ts';
import { initializeAliceSession, initializeBobSession } from '../../src/session/initialize.ts';
import { initiateSession } from '../../src/session/session-builder.ts';
import { encryptWithState, decryptWithState } from '../../src/session/triple-ratchet.ts';
import { Device } from '../session/helpers.ts';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

describe('PQXDH agreement', () => {
  const aliceId = generateIdentityKeyPair(fill(32, 1));
  const bobId = generateIdentityKeyPair(fill(32, 2));
  const base = generateCurveKeyPair(fill(32, 3));
  const spk = generateCurveKeyPair(fill(32, 4));
  const opk = generateCurveKeyPair(fill(32, 5));
  const kem = fill(32, 6);

  for (const withOneTime of [true, false]) {
    it(`initiator and responder derive the same keys (${withOneTime ? 'with' : 'without'} one-time prekey)`, () => {
      const a = pqxdhInitiatorSecretInput({
        ourIdentityPrivate: aliceId.privateKey,
        ourBasePrivate: base.privateKey,
        theirIdentityKey: bobId.publicKey,
        theirSignedPreKey: spk.publicKey,
        theirOneTimePreKey: withOneTime ? opk.publicKey : undefined,
        kemSharedSecret: kem,
      });
      const b = pqxdhResponderSecretInput({
        ourIdentityPrivate: bobId.privateKey,
        ourSignedPreKeyPrivate: spk.privateKey,
        ourOneTimePreKeyPrivate: withOneTime ? opk.privateKey : undefined,
        theirIdentityKey: aliceId.publicKey,
        theirBaseKey: base.publicKey,
        kemSharedSecret: kem,
      });
      expect(a).toEqual(b);
      // 0xFF*32 || DH1 || DH2 || DH3 [|| DH4] || SS, in exactly this order.
      const expected = [
        fill(32, 0xff),
        curveAgree(aliceId.privateKey, spk.publicKey),
        curveAgree(base.privateKey, bobId.publicKey),
        curveAgree(base.privateKey, spk.publicKey),
        ...(withOneTime ? [curveAgree(base.privateKey, opk.publicKey)] : []),
        kem,
      ];
      expect(a).toEqual(new Uint8Array(expected.flatMap((p) => Array.from(p))));
      const keys = derivePqxdhKeys(a);
      const okm = hkdfSha256(a, new Uint8Array(0), new TextEncoder().encode('WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024'), 96);
      expect(keys.rootKey).toEqual(okm.subarray(0, 32));
      expect(keys.chainKey).toEqual(okm.subarray(32, 64));
      expect(keys.pqrKey).toEqual(okm.subarray(64, 96));
    });
  }

  it('a different KEM secret gives different keys', () => {
    const i = {
      ourIdentityPrivate: aliceId.privateKey,
      ourBasePrivate: base.privateKey,
      theirIdentityKey: bobId.publicKey,
      theirSignedPreKey: spk.publicKey,
      kemSharedSecret: kem,
    };
    expect(pqxdhInitiator(i).rootKey).not.toEqual(pqxdhInitiator({ ...i, kemSharedSecret: fill(32, 7) }).rootKey);
    expect(
      pqxdhResponder({
        ourIdentityPrivate: bobId.privateKey,
        ourSignedPreKeyPrivate: spk.privateKey,
        theirIdentityKey: aliceId.publicKey,
        theirBaseKey: base.publicKey,
        kemSharedSecret: kem,
      }),
    ).toEqual(pqxdhInitiator(i));
  });

  it('session initialisation from explicit keys is deterministic and both ends talk', () => {
    const kyber = generateKyberKeyPair(fill(64, 9));
    const ratchet = generateCurveKeyPair(fill(32, 10));
    const aliceInputs = {
      ourIdentity: aliceId,
      ourBaseKeyPair: base,
      theirIdentityKey: bobId.publicKey,
      theirSignedPreKey: spk.publicKey,
      theirOneTimePreKey: opk.publicKey,
      theirRatchetKey: spk.publicKey,
      theirKyberPreKey: kyber.publicKey,
      kyberEncapsulationSeed: fill(32, 11),
      sendingRatchetKeyPair: ratchet,
    };
    const a1 = initializeAliceSession(aliceInputs);
    const a2 = initializeAliceSession(aliceInputs);
    expect(a1).toEqual(a2);
    expect(a1.kyberCiphertext).toEqual(kyberEncapsulate(kyber.publicKey, fill(32, 11)).ciphertext);
    const bob = initializeBobSession({
      ourIdentity: bobId,
      ourSignedPreKeyPair: spk,
      ourOneTimePreKeyPair: opk,
      ourRatchetKeyPair: spk,
      ourKyberSecretKey: kyber.secretKey,
      theirIdentityKey: aliceId.publicKey,
      theirBaseKey: base.publicKey,
      theirKyberCiphertext: a1.kyberCiphertext,
    });
    const sent = encryptWithState(a1.state, new TextEncoder().encode('first'));
    const got = decryptWithState(bob, sent.message, () => generateCurveKeyPair(fill(32, 12)));
    expect(new TextDecoder().decode(got.plaintext)).toBe('first');
  });
});

describe('processing a prekey bundle', () => {
  it('refuses a bad signed-prekey or Kyber-prekey signature, and an untrusted identity', () => {
    const alice = new Device('alice');
    const bob = new Device('bob');
    const bundle = bob.bundle(true);
    const start = (b: typeof bundle, isTrusted?: (k: Uint8Array) => boolean) =>
      initiateSession({ ourIdentity: alice.identity, ourRegistrationId: 1, bundle: b, isTrusted });
    const badSpk = bundle.signedPreKeySignature.slice();
    badSpk[0]! ^= 1;
    expect(() => start({ ...bundle, signedPreKeySignature: badSpk })).toThrow(InvalidSignatureError);
    const badKyber = bundle.kyberPreKeySignature.slice();
    badKyber[63]! ^= 0x80;
    expect(() => start({ ...bundle, kyberPreKeySignature: badKyber })).toThrow(InvalidSignatureError);
    // Signatures are over the serialized key: a signature for the raw key fails.
    expect(() => start({ ...bundle, signedPreKeySignature: bundle.kyberPreKeySignature })).toThrow(InvalidSignatureError);
    expect(() => start(bundle, () => false)).toThrow(UntrustedIdentityError);
    expect(start(bundle, () => true).record.current?.unacknowledged?.preKeyId).toBe(bundle.preKeyId);
  });
});
