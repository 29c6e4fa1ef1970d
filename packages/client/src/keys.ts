/**
 * Generating this device's prekeys and converting them between the store
 * (libsignal record bytes, via `@sealpost/protocol`'s prekey records)
 * and the key server's upload form.
 */
import {
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSignedPreKeyRecord,
  generateKyberPreKey as newKyberPreKey,
  generatePreKey,
  generateSignedPreKey as newSignedPreKey,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSignedPreKeyRecord,
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type SignedPreKeyRecord,
  type IdentityKeyPair,
} from '@sealpost/protocol';
import { randomBytes } from '@sealpost/protocol/primitives';
import { ClientError } from './errors.ts';
import type { StoredPreKey } from './store/types.ts';

/** A public prekey as uploaded to the key server. */
export interface PublicPreKey {
  keyId: number;
  /** Serialized public key: 33 bytes (0x05 ‖ u) or 1569 bytes (0x08 ‖ pk). */
  publicKey: Uint8Array;
}

/** A signed public prekey (signed EC prekey or Kyber prekey). */
export interface SignedPublicPreKey extends PublicPreKey {
  /** XEdDSA signature by the identity key over `publicKey`. */
  signature: Uint8Array;
}

/** A fresh libsignal registration id: 14 bits, 1..16380 as libsignal generates them. */
export function generateRegistrationId(): number {
  const r = randomBytes(2);
  return ((((r[0]! << 8) | r[1]!) & 0x3fff) % 16380) + 1;
}

/** A fresh one-time EC prekey with id `keyId`. */
export function generateOneTimePreKey(keyId: number, now: number): { stored: StoredPreKey; upload: PublicPreKey } {
  const record = generatePreKey(keyId);
  return {
    stored: { kind: 'ec', id: keyId, record: serializePreKeyRecord(record), createdAt: now, lastResort: false, replacedAt: undefined },
    upload: { keyId, publicKey: record.keyPair.publicKey },
  };
}

/** A fresh signed EC prekey, signed by the identity key. */
export function generateSignedPreKey(identity: IdentityKeyPair, keyId: number, now: number): { stored: StoredPreKey; upload: SignedPublicPreKey } {
  const record = newSignedPreKey({ identity, id: keyId, timestamp: now });
  return {
    stored: { kind: 'signed', id: keyId, record: serializeSignedPreKeyRecord(record), createdAt: now, lastResort: false, replacedAt: undefined },
    upload: { keyId, publicKey: record.keyPair.publicKey, signature: record.signature },
  };
}

/** A fresh signed Kyber1024 prekey (one-time, or the last-resort key). */
export function generateKyberPreKey(
  identity: IdentityKeyPair,
  keyId: number,
  now: number,
  lastResort: boolean,
): { stored: StoredPreKey; upload: SignedPublicPreKey } {
  const record = newKyberPreKey({ identity, id: keyId, timestamp: now });
  return {
    stored: { kind: 'kyber', id: keyId, record: serializeKyberPreKeyRecord(record), createdAt: now, lastResort, replacedAt: undefined },
    upload: { keyId, publicKey: record.keyPair.publicKey, signature: record.signature },
  };
}

function decode<T>(stored: StoredPreKey, fn: (b: Uint8Array) => T): T {
  try {
    return fn(stored.record);
  } catch (e) {
    throw new ClientError('INVALID_DATA', `stored ${stored.kind} prekey ${stored.id} is not a valid record`, { cause: e });
  }
}

/** Decodes a stored one-time EC prekey. */
export function decodeOneTimePreKey(stored: StoredPreKey): PreKeyRecord {
  return decode(stored, deserializePreKeyRecord);
}

/** Decodes a stored signed EC prekey. */
export function decodeSignedPreKey(stored: StoredPreKey): SignedPreKeyRecord {
  return decode(stored, deserializeSignedPreKeyRecord);
}

/** Decodes a stored Kyber prekey. */
export function decodeKyberPreKey(stored: StoredPreKey): KyberPreKeyRecord {
  return decode(stored, deserializeKyberPreKeyRecord);
}
