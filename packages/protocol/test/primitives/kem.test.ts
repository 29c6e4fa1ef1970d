import { KEMKeyPair } from '@signalapp/libsignal-client';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { KYBER1024, MLKEM1024 } from '@sealpost/devkit/vectors';
import { DecryptionError, InvalidArgumentError, InvalidKeyError } from '../../src/errors.ts';
import {
  KEM1024_CIPHERTEXT_LENGTH,
  KEM1024_PUBLIC_KEY_LENGTH,
  KEM1024_SECRET_KEY_LENGTH,
  kyber1024Decapsulate,
  kyber1024Encapsulate,
  kyber1024KeyGen,
  mlkem1024Decapsulate,
  mlkem1024Encapsulate,
  mlkem1024KeyGen,
  randomBytes,
  sha3_256,
  toHex,
} from '../../src/primitives/index.ts';

const KEMS = [KYBER1024, MLKEM1024] as const;

for (const kem of KEMS) {
  describe(kem.name, () => {
    it('round-trips from explicit seeds, with the published sizes, deterministically', () => {
      const seed = randomBytes(64);
      const m = randomBytes(32);
      const kp = kem.keyGen(seed);
      expect(kp.publicKey).toHaveLength(KEM1024_PUBLIC_KEY_LENGTH);
      expect(kp.secretKey).toHaveLength(KEM1024_SECRET_KEY_LENGTH);
      expect(toHex(kem.keyGen(seed).secretKey)).toBe(toHex(kp.secretKey));
      const e = kem.encapsulate(kp.publicKey, m);
      expect(e.ciphertext).toHaveLength(KEM1024_CIPHERTEXT_LENGTH);
      expect(toHex(kem.encapsulate(kp.publicKey, m).ciphertext)).toBe(toHex(e.ciphertext));
      expect(toHex(kem.decapsulate(kp.secretKey, e.ciphertext))).toBe(toHex(e.sharedSecret));
      // Fresh randomness when none is given.
      const r = kem.encapsulate(kp.publicKey);
      expect(toHex(kem.decapsulate(kp.secretKey, r.ciphertext))).toBe(toHex(r.sharedSecret));
      expect(toHex(r.ciphertext)).not.toBe(toHex(e.ciphertext));
      expect(kem.keyGen().publicKey).toHaveLength(KEM1024_PUBLIC_KEY_LENGTH);
    });

    it('implicitly rejects a modified ciphertext with the scheme’s rejection secret', () => {
      const kp = kem.keyGen(randomBytes(64));
      const e = kem.encapsulate(kp.publicKey, randomBytes(32));
      const z = kp.secretKey.subarray(3136, 3168);
      for (const index of [0, 700, 1567]) {
        const bad = Uint8Array.from(e.ciphertext);
        bad[index]! ^= 0x01;
        const got = kem.decapsulate(kp.secretKey, bad);
        expect(toHex(got)).toBe(toHex(kem.rejection(z, bad)));
        expect(toHex(got)).not.toBe(toHex(e.sharedSecret));
      }
    });

    it('rejects malformed public keys with InvalidKeyError (length, unreduced coefficient)', () => {
      const kp = kem.keyGen(randomBytes(64));
      expect(() => kem.encapsulate(kp.publicKey.subarray(0, 1567), randomBytes(32))).toThrow(InvalidKeyError);
      expect(() => kem.encapsulate(new Uint8Array([...kp.publicKey, 0]), randomBytes(32))).toThrow(/public key must be 1568 bytes, got 1569/);
      const unreduced = Uint8Array.from(kp.publicKey);
      unreduced[0] = 0xff;
      unreduced[1] = (unreduced[1]! & 0xf0) | 0x0f; // first coefficient = 4095 >= q
      expect(() => kem.encapsulate(unreduced, randomBytes(32))).toThrow(/not reduced modulo q/);
    });

    it('rejects malformed secret keys and ciphertexts with typed errors', () => {
      const kp = kem.keyGen(randomBytes(64));
      const e = kem.encapsulate(kp.publicKey, randomBytes(32));
      expect(() => kem.decapsulate(kp.secretKey.subarray(1), e.ciphertext)).toThrow(InvalidKeyError);
      const corrupt = Uint8Array.from(kp.secretKey);
      corrupt[2000]! ^= 1; // inside the embedded public key: H(ek) no longer matches
      expect(() => kem.decapsulate(corrupt, e.ciphertext)).toThrow(/embedded public-key hash does not match/);
      for (const c of [e.ciphertext.subarray(0, 1567), new Uint8Array([...e.ciphertext, 0]), new Uint8Array(0)]) {
        let err: unknown;
        try {
          kem.decapsulate(kp.secretKey, c);
        } catch (x) {
          err = x;
        }
        expect(err).toBeInstanceOf(DecryptionError);
        expect((err as DecryptionError).code).toBe('DECRYPTION_FAILED');
      }
    });

    it('rejects seeds of the wrong length with InvalidArgumentError', () => {
      expect(() => kem.keyGen(randomBytes(32))).toThrow(InvalidArgumentError);
      expect(() => kem.keyGen(randomBytes(32))).toThrow(/keygen seed must be 64 bytes, got 32/);
      expect(() => kem.encapsulate(kem.keyGen(randomBytes(64)).publicKey, randomBytes(31))).toThrow(InvalidArgumentError);
    });
  });
}

describe('Kyber1024 vs ML-KEM-1024', () => {
  it('derive different keys from the same seed (G(d) vs G(d || k))', () => {
    const seed = randomBytes(64);
    expect(toHex(kyber1024KeyGen(seed).publicKey)).not.toBe(toHex(mlkem1024KeyGen(seed).publicKey));
  });
});

describe('ML-KEM-1024 on our K-PKE vs @noble/post-quantum ml_kem1024 (the implementation it replaced)', () => {
  it('equal keys, ciphertexts and secrets, including implicit rejection, on random seeds', () => {
    for (let i = 0; i < 20; i++) {
      const seed = randomBytes(64);
      const ours = mlkem1024KeyGen(seed);
      const ref = ml_kem1024.keygen(seed);
      expect(toHex(ours.publicKey)).toBe(toHex(ref.publicKey));
      expect(toHex(ours.secretKey)).toBe(toHex(ref.secretKey));
      const m = randomBytes(32);
      const enc = mlkem1024Encapsulate(ours.publicKey, m);
      const refEnc = ml_kem1024.encapsulate(ref.publicKey, m);
      expect(toHex(enc.ciphertext)).toBe(toHex(refEnc.cipherText));
      expect(toHex(enc.sharedSecret)).toBe(toHex(refEnc.sharedSecret));
      const bad = enc.ciphertext.slice();
      bad[(i * 97) % bad.length]! ^= 0x10;
      expect(toHex(mlkem1024Decapsulate(ours.secretKey, bad))).toBe(toHex(ml_kem1024.decapsulate(bad, ref.secretKey)));
    }
  });
});

describe('Kyber1024 key format vs libsignal-client (key type 0x08)', () => {
  it('reads libsignal-generated Kyber1024 keys: same layout, usable for encaps/decaps', () => {
    for (let i = 0; i < 5; i++) {
      const pair = KEMKeyPair.generate();
      const pub = pair.getPublicKey().serialize();
      const sec = pair.getSecretKey().serialize();
      expect(pub[0]).toBe(0x08);
      expect(sec[0]).toBe(0x08);
      const pk = pub.subarray(1);
      const sk = sec.subarray(1);
      expect(pk).toHaveLength(KEM1024_PUBLIC_KEY_LENGTH);
      expect(sk).toHaveLength(KEM1024_SECRET_KEY_LENGTH);
      // dk_PKE || pk || H(pk) || z
      expect(toHex(sk.subarray(1536, 3104))).toBe(toHex(pk));
      expect(toHex(sk.subarray(3104, 3136))).toBe(toHex(sha3_256(pk)));
      const e = kyber1024Encapsulate(pk, randomBytes(32));
      expect(toHex(kyber1024Decapsulate(sk, e.ciphertext))).toBe(toHex(e.sharedSecret));
    }
  });
});
