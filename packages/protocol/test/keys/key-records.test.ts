import { describe, expect, it } from 'vitest';
import { InvalidKeyError, InvalidRecordError, SealpostError } from '../../src/errors.ts';
import {
  checkCurvePublicKey,
  curveKeyPairFromPrivate,
  generateCurveKeyPair,
  isCanonicalCurvePublicKey,
  serializeCurvePublicKey,
} from '../../src/keys/curve-key.ts';
import {
  deserializeIdentityKeyPair,
  generateIdentityKeyPair,
  serializeIdentityKeyPair,
  signWithIdentityKey,
  verifyIdentitySignature,
} from '../../src/keys/identity-key.ts';
import { generateKyberKeyPair, kyberDecapsulate, kyberEncapsulate } from '../../src/keys/kem-key.ts';
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

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);

describe('key serialization', () => {
  it('Curve25519 public keys are 0x05 || u and private keys are clamped', () => {
    const pair = generateCurveKeyPair(fill(32, 0xff));
    expect(pair.publicKey.length).toBe(33);
    expect(pair.publicKey[0]).toBe(0x05);
    expect(pair.privateKey[0]! & 7).toBe(0);
    expect(pair.privateKey[31]! & 0xc0).toBe(0x40);
    expect(curveKeyPairFromPrivate(pair.privateKey)).toEqual(pair);
  });

  it('refuses wrong type bytes and lengths with InvalidKeyError', () => {
    const pk = generateCurveKeyPair().publicKey;
    expect(() => checkCurvePublicKey(pk.subarray(0, 32))).toThrow(InvalidKeyError);
    expect(() => checkCurvePublicKey(new Uint8Array([0x06, ...pk.subarray(1)]))).toThrow(InvalidKeyError);
    expect(() => checkCurvePublicKey(new Uint8Array(0))).toThrow(InvalidKeyError);
    expect(() => checkCurvePublicKey(new Uint8Array([...pk, 0]))).toThrow(InvalidKeyError);
  });

  it('canonical check: real keys pass, out-of-range and small-order u fail', () => {
    for (let i = 0; i < 5; i++) expect(isCanonicalCurvePublicKey(generateCurveKeyPair().publicKey)).toBe(true);
    const high = serializeCurvePublicKey(fill(32, 0));
    high[32] = 0x80;
    expect(isCanonicalCurvePublicKey(high)).toBe(false);
    // u = 0 and u = 1 are small-order points (torsion), not in the prime-order subgroup.
    expect(isCanonicalCurvePublicKey(serializeCurvePublicKey(fill(32, 0)))).toBe(false);
    const one = fill(32, 0);
    one[0] = 1;
    expect(isCanonicalCurvePublicKey(serializeCurvePublicKey(one))).toBe(false);
    // p - 1 (u = -1) has no Edwards image.
    const pMinus1 = fill(32, 0xff);
    pMinus1[0] = 0xec;
    pMinus1[31] = 0x7f;
    expect(isCanonicalCurvePublicKey(serializeCurvePublicKey(pMinus1))).toBe(false);
  });

  it('Kyber1024 keys are 0x08-prefixed (1569 / 3169 bytes) and encapsulation round-trips', () => {
    const kp = generateKyberKeyPair(fill(64, 1));
    expect(kp.publicKey.length).toBe(1569);
    expect(kp.secretKey.length).toBe(3169);
    expect(kp.publicKey[0]).toBe(0x08);
    expect(kp.secretKey[0]).toBe(0x08);
    const { ciphertext, sharedSecret } = kyberEncapsulate(kp.publicKey, fill(32, 2));
    expect(ciphertext.length).toBe(1569);
    expect(ciphertext[0]).toBe(0x08);
    expect(kyberDecapsulate(kp.secretKey, ciphertext)).toEqual(sharedSecret);
    // Deterministic from explicit seeds.
    expect(generateKyberKeyPair(fill(64, 1))).toEqual(kp);
    expect(kyberEncapsulate(kp.publicKey, fill(32, 2)).ciphertext).toEqual(ciphertext);
    const wrongType = kp.publicKey.slice();
    wrongType[0] = 0x0a;
    expect(() => kyberEncapsulate(wrongType)).toThrow(InvalidKeyError);
  });
});

describe('identity keys and signatures', () => {
  it('round-trips IdentityKeyPairStructure and rejects mismatched halves', () => {
    const id = generateIdentityKeyPair(fill(32, 5));
    const bytes = serializeIdentityKeyPair(id);
    expect(deserializeIdentityKeyPair(bytes)).toEqual(id);
    const other = generateIdentityKeyPair(fill(32, 6));
    const mixed = serializeIdentityKeyPair({ publicKey: other.publicKey, privateKey: id.privateKey });
    expect(() => deserializeIdentityKeyPair(mixed)).toThrow(InvalidRecordError);
    expect(() => deserializeIdentityKeyPair(Uint8Array.of(0xff, 0xff))).toThrow(InvalidRecordError);
  });

  it('XEdDSA signs the serialized key; one flipped bit fails', () => {
    const id = generateIdentityKeyPair();
    const msg = generateCurveKeyPair().publicKey;
    const sig = signWithIdentityKey(id, msg, fill(64, 9));
    expect(sig.length).toBe(64);
    expect(verifyIdentitySignature(id.publicKey, msg, sig)).toBe(true);
    const bad = sig.slice();
    bad[10]! ^= 1;
    expect(verifyIdentitySignature(id.publicKey, msg, bad)).toBe(false);
    expect(verifyIdentitySignature(id.publicKey, msg, sig.subarray(0, 63))).toBe(false);
  });
});

describe('prekey records', () => {
  const identity = generateIdentityKeyPair(fill(32, 1));

  it('one-time prekey round-trips', () => {
    const r = generatePreKey(42, fill(32, 3));
    expect(deserializePreKeyRecord(serializePreKeyRecord(r))).toEqual(r);
  });

  it('signed prekey round-trips and its signature verifies', () => {
    const r = generateSignedPreKey({ identity, id: 7, timestamp: 1_700_000_000_123, random32: fill(32, 4) });
    const back = deserializeSignedPreKeyRecord(serializeSignedPreKeyRecord(r));
    expect(back).toEqual(r);
    expect(verifyIdentitySignature(identity.publicKey, back.keyPair.publicKey, back.signature)).toBe(true);
  });

  it('Kyber prekey round-trips (signed-prekey layout) and its signature verifies', () => {
    const r = generateKyberPreKey({ identity, id: 0xffffffff, timestamp: 5, seed64: fill(64, 8) });
    const back = deserializeKyberPreKeyRecord(serializeKyberPreKeyRecord(r));
    expect(back).toEqual(r);
    expect(verifyIdentitySignature(identity.publicKey, back.keyPair.publicKey, back.signature)).toBe(true);
    // An EC record is not a Kyber record.
    const ec = serializeSignedPreKeyRecord(generateSignedPreKey({ identity, id: 1 }));
    expect(() => deserializeKyberPreKeyRecord(ec)).toThrow(InvalidRecordError);
  });

  it('malformed records give InvalidRecordError, never a crash', () => {
    for (const bad of [Uint8Array.of(0x0a), Uint8Array.of(0x12, 0x05, 1, 2), Uint8Array.of(0xff)]) {
      for (const f of [deserializePreKeyRecord, deserializeSignedPreKeyRecord, deserializeKyberPreKeyRecord]) {
        let err: unknown;
        try {
          f(bad);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SealpostError);
      }
    }
  });
});
