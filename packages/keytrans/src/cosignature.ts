/**
 * C2SP timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature,
 * `cosignature/v1`, signature type 0x04): a witness signs
 *
 *   "cosignature/v1\n" ‖ "time " ‖ decimal(T) ‖ "\n" ‖ <checkpoint note text>
 *
 * and its note signature is `uint64 T (big-endian) ‖ Ed25519 signature`.
 * Key ID = SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]. The cosignature
 * asserts append-only operation for the checkpoint's first three lines.
 */
import { concatBytes, ed25519PublicKey, ed25519Sign, ed25519Verify, utf8Encode } from '@sealpost/protocol/primitives';
import { ensure } from './errors.ts';
import { type NoteSigner, type NoteVerifier, formatVerifierKey, isValidKeyName, noteKeyId, parseVerifierKey } from './signed-note.ts';

export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;
const MAX_TIMESTAMP = 2n ** 63n - 1n;

/** The message a cosigner signs for `checkpointText` at POSIX time `timestamp` (seconds). */
export function cosignatureMessage(timestamp: number, checkpointText: Uint8Array): Uint8Array {
  ensure(Number.isSafeInteger(timestamp) && timestamp >= 0, 'INVALID_ARGUMENT', 'a cosignature timestamp is a non-negative integer');
  return concatBytes(utf8Encode(`cosignature/v1\ntime ${timestamp}\n`), checkpointText);
}

/** The timestamp (seconds) of a type-0x04 signature (the 72 bytes after the key ID); undefined if malformed. */
export function cosignatureTimestamp(signature: Uint8Array): number | undefined {
  if (!(signature instanceof Uint8Array) || signature.length !== 72) return undefined;
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  return t <= MAX_TIMESTAMP && t <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : undefined;
}

/**
 * A cosigner for a 32-byte Ed25519 secret key: a NoteSigner that signs each
 * note it is given at time `now()` (seconds; injected, so tests use a fake clock).
 */
export function ed25519Cosigner(name: string, secretKey: Uint8Array, now: () => number): NoteSigner & { readonly vkey: string } {
  ensure(isValidKeyName(name), 'INVALID_ARGUMENT', 'invalid cosigner name');
  ensure(secretKey instanceof Uint8Array && secretKey.length === 32, 'INVALID_ARGUMENT', 'an Ed25519 secret key is 32 bytes');
  const key = secretKey.slice();
  const publicKey = ed25519PublicKey(key);
  return {
    name,
    keyId: noteKeyId(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey),
    vkey: formatVerifierKey(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey),
    sign(text: Uint8Array): Uint8Array {
      const t = now();
      const out = new Uint8Array(72);
      new DataView(out.buffer).setBigUint64(0, BigInt(t));
      out.set(ed25519Sign(key, cosignatureMessage(t, text)), 8);
      return out;
    },
  };
}

/** A NoteVerifier for a type-0x04 vkey: checks the timestamped Ed25519 signature. */
export function ed25519CosignatureVerifier(vkey: string): NoteVerifier {
  const k = parseVerifierKey(vkey);
  ensure(k.type === SIGNATURE_TYPE_COSIGNATURE_V1, 'MALFORMED', `verifier key type ${k.type} is not a cosignature/v1 key (0x04)`);
  return {
    name: k.name,
    keyId: k.keyId,
    verify(text: Uint8Array, signature: Uint8Array): boolean {
      const t = cosignatureTimestamp(signature);
      return t !== undefined && ed25519Verify(k.publicKey, cosignatureMessage(t, text), signature.subarray(8));
    },
  };
}
