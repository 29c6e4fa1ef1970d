/**
 * The root-key step of the Double Ratchet (libsignal `RootKey::create_chain`):
 *
 *   (R_{i+1}, C_{i+1,0}) = HKDF-SHA256(salt = R_i, ikm = DH(ours, theirs),
 *                                      info = "WhisperRatchet", 64 bytes)
 *
 * split 32 / 32 into the next root key and a fresh chain key (index 0).
 */
import { checkBytes, hkdfSha256 } from '../primitives/index.ts';
import { curveAgree } from '../keys/curve-key.ts';

const WHISPER_RATCHET = new TextEncoder().encode('WhisperRatchet');

/** Output of a root-key step: the next root key and a new chain key. */
export interface RootKeyStepOutput {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
}

/** Root-key step from an already computed DH output (the vector seam). */
export function rootKeyStepFromSecret(rootKey: Uint8Array, dhOutput: Uint8Array): RootKeyStepOutput {
  checkBytes('root key', rootKey, 32);
  checkBytes('DH output', dhOutput, 32);
  const okm = hkdfSha256(dhOutput, rootKey, WHISPER_RATCHET, 64);
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) };
}

/**
 * Root-key step with the ratchet DH done here: `theirRatchetPublic` is
 * 0x05-prefixed (33 bytes), `ourRatchetPrivate` is 32 bytes.
 */
export function rootKeyStep(
  rootKey: Uint8Array,
  theirRatchetPublic: Uint8Array,
  ourRatchetPrivate: Uint8Array,
): RootKeyStepOutput {
  return rootKeyStepFromSecret(rootKey, curveAgree(ourRatchetPrivate, theirRatchetPublic));
}
