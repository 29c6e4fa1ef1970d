/**
 * Public keys as they travel in the key server's JSON: strict padded base64
 * (the kit's codec) of libsignal's type-prefixed forms — Curve25519
 * `0x05 ‖ u` (33 bytes) and Kyber1024 `0x08 ‖ pk` (1569 bytes). The type
 * bytes and lengths are the protocol's.
 */
import { CURVE_KEY_TYPE, CURVE_PUBLIC_KEY_LENGTH, KYBER1024_KEY_TYPE } from '@sealpost/protocol';
import { KEM1024_PUBLIC_KEY_LENGTH } from '@sealpost/protocol/primitives';
import { decodeBase64Field } from '@sealpost/service-kit';
import { badRequest } from './errors.ts';

/** Serialized Curve25519 public key length. */
export const EC_PUBLIC_KEY_LENGTH = CURVE_PUBLIC_KEY_LENGTH;
/** Serialized Kyber1024 public key length (type byte + 1568). */
export const KYBER1024_PUBLIC_KEY_LENGTH = 1 + KEM1024_PUBLIC_KEY_LENGTH;
/** XEdDSA signature length. */
export const SIGNATURE_LENGTH = 64;

/** Decodes and checks a serialized Curve25519 public key (0x05 ‖ 32 bytes). */
export function decodeEcPublicKey(field: string, value: string): Uint8Array {
  const key = decodeBase64Field(field, value, EC_PUBLIC_KEY_LENGTH);
  if (key[0] !== CURVE_KEY_TYPE) throw badRequest('BAD_KEY_TYPE', `${field} must start with type byte 0x05`);
  return key;
}

/** Decodes and checks a serialized Kyber1024 public key (0x08 ‖ 1568 bytes). */
export function decodeKyberPublicKey(field: string, value: string): Uint8Array {
  const key = decodeBase64Field(field, value, KYBER1024_PUBLIC_KEY_LENGTH);
  if (key[0] !== KYBER1024_KEY_TYPE) throw badRequest('BAD_KEY_TYPE', `${field} must start with type byte 0x08`);
  return key;
}
