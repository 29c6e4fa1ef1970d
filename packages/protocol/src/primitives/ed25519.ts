/**
 * Plain Ed25519 (RFC 8032) from @noble/curves, on both backends; on node,
 * signing is OpenSSL's (byte-identical: RFC 8032 signatures are
 * deterministic) and verification first asks OpenSSL (backend.ed25519VerifyFast, ~10× cheaper)
 * and trusts only its "valid". Sealpost signs messages with XEdDSA, not
 * Ed25519; these exist so the Edwards layer XEdDSA stands on can be checked
 * against RFC 8032 and Wycheproof, and for relay credentials, which the
 * relay verifies on every authenticated request.
 */
import { backend } from '#primitives-backend';
import { ed25519 } from '@noble/curves/ed25519.js';
import { checkBytes } from './bytes.ts';
import { bytesToNumberLE } from './curve25519-edwards.ts';
import { checkKeyBytes } from './key-bytes.ts';

/** The 32-byte Ed25519 public key for a 32-byte secret seed. */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  checkKeyBytes('Ed25519 secret key', secretKey, 32);
  return ed25519.getPublicKey(secretKey);
}

/** Deterministic RFC 8032 Ed25519 signature (64 bytes). */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  checkKeyBytes('Ed25519 secret key', secretKey, 32);
  checkBytes('Ed25519 message', message);
  const signFast = backend.ed25519SignFast;
  return signFast !== undefined ? signFast(secretKey, message) : ed25519.sign(message, secretKey);
}

/**
 * RFC 8032 / FIPS 186-5 strict verification (canonical encodings, s < L;
 * not ZIP-215). Returns false for malformed signatures or public keys of the
 * right length that do not decode; throws InvalidKeyError for a public key
 * of the wrong length.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkKeyBytes('Ed25519 public key', publicKey, 32);
  checkBytes('Ed25519 message', message);
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  const verifyFast = backend.ed25519VerifyFast;
  if (verifyFast !== undefined && decodesAlikeEverywhere(publicKey) && verifyFast(publicKey, message, signature)) return true;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

const P = ed25519.Point.Fp.ORDER;

/**
 * Whether OpenSSL's decoding of the public key can only agree with noble's
 * strict one: y (the low 255 bits) canonical (< p), and not y = ±1, the two
 * points with x = 0, whose sign bit strict decoding constrains. For such
 * keys OpenSSL's "valid" (canonical R by byte comparison, s < L, the
 * cofactorless equation) implies noble's strict, cofactored "valid", so
 * trusting it accepts nothing noble would reject; every "invalid" is
 * re-checked by noble, so nothing noble accepts is lost.
 */
function decodesAlikeEverywhere(publicKey: Uint8Array): boolean {
  const y = bytesToNumberLE(publicKey) & ((1n << 255n) - 1n);
  return y < P && y !== 1n && y !== P - 1n;
}
