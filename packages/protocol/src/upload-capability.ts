/**
 * Upload capabilities: short-lived tokens the key server signs for an
 * authenticated device so the blob service can authorise one upload with
 * nothing but the key server's public key (verified offline, like relay
 * credentials — relay-credential.ts).
 *
 *     token   = "u1." base64url(payload) "." base64url(signature)
 *     payload = blobKey ":" maxLength ":" expiresAt ":" subject
 *
 * - blobKey: base64url of 15 random bytes (20 chars, 120 bits), the blob's
 *   name on the blob service and in the pointer.
 * - maxLength: the largest Upload-Length allowed (decimal bytes, ≥ 1).
 * - expiresAt: ms since the epoch; valid while `now < expiresAt`.
 * - subject: base64url of 16 bytes (22 chars) the key server derives from
 *   the device with a keyed hash, so the blob service can apply per-device
 *   quotas without learning which device it is.
 * - signature: Ed25519 over `"sealpost-upload-capability-v1\n" ‖ payload`
 *   with the key server's relay-credential key; the distinct prefix keeps it
 *   from ever being valid as a relay credential and vice versa.
 */
import { InvalidArgumentError, InvalidKeyError } from './errors.ts';
import { ed25519Sign, ed25519Verify, fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from './primitives/index.ts';

export const UPLOAD_CAPABILITY_VERSION = 'u1';
export const UPLOAD_CAPABILITY_CONTEXT = 'sealpost-upload-capability-v1\n';

/** What a valid capability says. */
export interface UploadCapability {
  blobKey: string;
  maxLength: number;
  expiresAt: number;
  subject: string;
}

const PAYLOAD_RE = /^([A-Za-z0-9_-]{20}):([1-9][0-9]{0,15}):([1-9][0-9]{0,15}):([A-Za-z0-9_-]{22})$/;
const BLOB_KEY_RE = /^[A-Za-z0-9_-]{20}$/;
const MAX_TOKEN_LENGTH = 512;

/** True for a well-formed blob key (20 base64url characters). */
export function isBlobKey(key: unknown): key is string {
  return typeof key === 'string' && BLOB_KEY_RE.test(key);
}

function parsePayload(payload: string): UploadCapability | undefined {
  const m = PAYLOAD_RE.exec(payload);
  if (m === null) return undefined;
  const maxLength = Number(m[2]);
  const expiresAt = Number(m[3]);
  if (!Number.isSafeInteger(maxLength) || !Number.isSafeInteger(expiresAt)) return undefined;
  return { blobKey: m[1]!, maxLength, expiresAt, subject: m[4]! };
}

function decode(part: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    return fromBase64Url(part);
  } catch {
    return undefined;
  }
}

/** Signs a capability with the key server's 32-byte Ed25519 seed. */
export function signUploadCapability(c: UploadCapability, privateKey: Uint8Array): string {
  const payload = `${c.blobKey}:${c.maxLength}:${c.expiresAt}:${c.subject}`;
  if (parsePayload(payload) === undefined) throw new InvalidArgumentError('upload capability fields out of range');
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) throw new InvalidKeyError('upload capability private key must be 32 bytes');
  const sig = ed25519Sign(privateKey, utf8Encode(UPLOAD_CAPABILITY_CONTEXT + payload));
  return `${UPLOAD_CAPABILITY_VERSION}.${toBase64Url(utf8Encode(payload))}.${toBase64Url(sig)}`;
}

/** Verifies a capability at `now` (ms); undefined when malformed, forged or expired. Throws only for a bad public key. */
export function verifyUploadCapability(token: string, publicKey: Uint8Array, now: number): UploadCapability | undefined {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new InvalidKeyError('upload capability public key must be 32 bytes');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== UPLOAD_CAPABILITY_VERSION) return undefined;
  const payloadBytes = decode(parts[1]!);
  const sig = decode(parts[2]!);
  if (payloadBytes === undefined || sig === undefined || sig.length !== 64) return undefined;
  let payload: string;
  try {
    payload = utf8Decode(payloadBytes);
  } catch {
    return undefined;
  }
  const cap = parsePayload(payload);
  if (cap === undefined || !ed25519Verify(publicKey, utf8Encode(UPLOAD_CAPABILITY_CONTEXT + payload), sig)) return undefined;
  return now < cap.expiresAt ? cap : undefined;
}
