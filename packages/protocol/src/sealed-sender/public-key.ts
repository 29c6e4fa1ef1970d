/**
 * Curve25519 public keys as sealed sender puts them on the wire.
 *
 * libsignal serializes a public key as 33 bytes, `0x05 ‖ u`; sealed sender v2
 * also uses the bare 32-byte `u` in its flat formats. Our functions accept
 * either form and work on the raw 32 bytes internally.
 */
import { checkBytes, concatBytes } from '../primitives/bytes.ts';
import { InvalidKeyError } from '../errors.ts';

/** libsignal's type byte for a Curve25519 (DJB) public key. */
export const DJB_KEY_TYPE = 0x05;

/** Returns the raw 32-byte `u` of a key given raw (32) or serialized (33, 0x05-prefixed). */
export function rawPublicKey(name: string, key: Uint8Array): Uint8Array {
  checkBytes(name, key);
  if (key.length === 32) return key;
  if (key.length === 33 && key[0] === DJB_KEY_TYPE) return key.subarray(1);
  throw new InvalidKeyError(`${name} must be 32 raw bytes or 33 bytes starting with 0x05, got ${key.length} bytes`);
}

/** Serializes a raw 32-byte key as libsignal does: `0x05 ‖ u` (33 bytes). */
export function serializePublicKey(raw32: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(DJB_KEY_TYPE), raw32);
}

/** A Curve25519 key pair: raw 32-byte private scalar and public `u` (or its 33-byte form). */
export interface SealedKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}
