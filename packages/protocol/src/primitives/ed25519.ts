/**
 * Plain Ed25519 (RFC 8032) from @noble/curves. Sealpost signs with XEdDSA,
 * not Ed25519; these exist so the Edwards layer XEdDSA stands on can be
 * checked against RFC 8032 and Wycheproof, and for callers that need Ed25519.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { InvalidKeyError } from '../errors.ts';
import { checkBytes } from './bytes.ts';

/** The 32-byte Ed25519 public key for a 32-byte secret seed. */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) {
    throw new InvalidKeyError('Ed25519 secret key must be a 32-byte Uint8Array');
  }
  return ed25519.getPublicKey(secretKey);
}

/** Deterministic RFC 8032 Ed25519 signature (64 bytes). */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) {
    throw new InvalidKeyError('Ed25519 secret key must be a 32-byte Uint8Array');
  }
  checkBytes('Ed25519 message', message);
  return ed25519.sign(message, secretKey);
}

/**
 * RFC 8032 / FIPS 186-5 strict verification (canonical encodings, s < L;
 * not ZIP-215). Returns false for malformed signatures or public keys of the
 * right length that do not decode; throws InvalidKeyError for a public key
 * of the wrong length.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new InvalidKeyError('Ed25519 public key must be a 32-byte Uint8Array');
  }
  checkBytes('Ed25519 message', message);
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
