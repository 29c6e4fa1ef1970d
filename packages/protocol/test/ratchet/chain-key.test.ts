import { describe, expect, it } from 'vitest';
import { fromHex, hkdfSha256, hmacSha256, toHex, x25519Agree, x25519GenerateKeyPair } from '../../src/primitives/index.ts';
import { chainKeyStep, messageKeySeed, nextChainKey } from '../../src/ratchet/chain-key.ts';
import { deriveMessageKeys } from '../../src/ratchet/message-keys.ts';
import { rootKeyStep, rootKeyStepFromSecret } from '../../src/ratchet/root-key.ts';
import { serializeCurvePublicKey } from '../../src/keys/curve-key.ts';

describe('chain-key step', () => {
  // Known answer from libsignal v0.90.0, rust/protocol/src/ratchet/keys.rs
  // (test_chain_key_derivation): chain key seed -> cipher key, MAC key, next chain key.
  const seed = fromHex('8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f');
  it('matches libsignal test_chain_key_derivation', () => {
    const step = chainKeyStep(seed, 0);
    expect(toHex(step.messageKeys.cipherKey)).toBe('bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217');
    expect(toHex(step.messageKeys.macKey)).toBe('c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b');
    expect(toHex(step.nextChainKey)).toBe('28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d');
    expect(step.nextIndex).toBe(1);
    expect(step.messageKeys.iv.length).toBe(16);
  });

  it('is HMAC 0x01 / 0x02 and HKDF "WhisperMessageKeys" split 32/32/16', () => {
    const ck = new Uint8Array(32).fill(7);
    const mk = hmacSha256(ck, Uint8Array.of(1));
    expect(messageKeySeed(ck)).toEqual(mk);
    expect(nextChainKey(ck)).toEqual(hmacSha256(ck, Uint8Array.of(2)));
    const okm = hkdfSha256(mk, new Uint8Array(32), new TextEncoder().encode('WhisperMessageKeys'), 80);
    const keys = deriveMessageKeys(mk);
    expect(keys.cipherKey).toEqual(okm.subarray(0, 32));
    expect(keys.macKey).toEqual(okm.subarray(32, 64));
    expect(keys.iv).toEqual(okm.subarray(64, 80));
  });

  it('mixes an optional salt (the SPQR message key) in as the HKDF salt; no salt is the Double Ratchet', () => {
    const mk = hmacSha256(new Uint8Array(32).fill(9), Uint8Array.of(1));
    const salt = new Uint8Array(32).fill(0x5a);
    const info = new TextEncoder().encode('WhisperMessageKeys');
    const salted = deriveMessageKeys(mk, salt);
    const okm = hkdfSha256(mk, salt, info, 80);
    expect(salted.cipherKey).toEqual(okm.subarray(0, 32));
    expect(salted.macKey).toEqual(okm.subarray(32, 64));
    expect(salted.iv).toEqual(okm.subarray(64, 80));
    expect(salted.cipherKey).not.toEqual(deriveMessageKeys(mk).cipherKey);
    expect(deriveMessageKeys(mk, new Uint8Array(0))).toEqual(deriveMessageKeys(mk));
    expect(() => deriveMessageKeys(mk, 'salt' as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });

  it('rejects a chain key of the wrong length', () => {
    expect(() => chainKeyStep(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

describe('root-key step', () => {
  it('is HKDF(salt = root key, ikm = DH, "WhisperRatchet") split 32/32, and the DH form agrees', () => {
    const root = new Uint8Array(32).fill(3);
    const ours = x25519GenerateKeyPair(new Uint8Array(32).fill(9));
    const theirs = x25519GenerateKeyPair(new Uint8Array(32).fill(11));
    const dh = x25519Agree(ours.privateKey, theirs.publicKey);
    const okm = hkdfSha256(dh, root, new TextEncoder().encode('WhisperRatchet'), 64);
    const viaSecret = rootKeyStepFromSecret(root, dh);
    expect(viaSecret.rootKey).toEqual(okm.subarray(0, 32));
    expect(viaSecret.chainKey).toEqual(okm.subarray(32, 64));
    const viaDh = rootKeyStep(root, serializeCurvePublicKey(theirs.publicKey), ours.privateKey);
    expect(viaDh).toEqual(viaSecret);
  });
});
