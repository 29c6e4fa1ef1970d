/**
 * Bytes as they travel in the key server's JSON: standard padded base64 (as
 * Signal-Server uses), decoded strictly, and public keys in libsignal's
 * type-prefixed form — Curve25519 `0x05 ‖ u` (33 bytes) and Kyber1024
 * `0x08 ‖ pk` (1569 bytes).
 */
import { badRequest } from './errors.ts';

/** libsignal's type byte for Curve25519 public keys. */
export const EC_KEY_TYPE = 0x05;
/** libsignal's type byte for Kyber1024 public keys. */
export const KYBER1024_KEY_TYPE = 0x08;
/** Serialized Curve25519 public key length. */
export const EC_PUBLIC_KEY_LENGTH = 33;
/** Serialized Kyber1024 public key length. */
export const KYBER1024_PUBLIC_KEY_LENGTH = 1569;
/** XEdDSA signature length. */
export const SIGNATURE_LENGTH = 64;

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Base64 length of `n` bytes, padded. */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Decodes standard padded base64, rejecting anything Node would silently skip. */
export function decodeBase64(field: string, value: string, length?: number): Uint8Array {
  if (!BASE64_RE.test(value)) throw badRequest('BAD_BASE64', `${field} is not valid padded base64`);
  const bytes = new Uint8Array(Buffer.from(value, 'base64'));
  // Non-canonical trailing bits (e.g. "AB==" vs "AA==") would make two strings name one key.
  if (Buffer.from(bytes).toString('base64') !== value) throw badRequest('BAD_BASE64', `${field} is not canonical base64`);
  if (length !== undefined && bytes.length !== length) {
    throw badRequest('BAD_LENGTH', `${field} must decode to ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes and checks a serialized Curve25519 public key (0x05 ‖ 32 bytes). */
export function decodeEcPublicKey(field: string, value: string): Uint8Array {
  const key = decodeBase64(field, value, EC_PUBLIC_KEY_LENGTH);
  if (key[0] !== EC_KEY_TYPE) throw badRequest('BAD_KEY_TYPE', `${field} must start with type byte 0x05`);
  return key;
}

/** Decodes and checks a serialized Kyber1024 public key (0x08 ‖ 1568 bytes). */
export function decodeKyberPublicKey(field: string, value: string): Uint8Array {
  const key = decodeBase64(field, value, KYBER1024_PUBLIC_KEY_LENGTH);
  if (key[0] !== KYBER1024_KEY_TYPE) throw badRequest('BAD_KEY_TYPE', `${field} must start with type byte 0x08`);
  return key;
}
