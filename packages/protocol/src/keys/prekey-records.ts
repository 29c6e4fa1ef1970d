/**
 * Prekey records — one-time EC prekeys, signed EC prekeys and signed
 * Kyber1024 prekeys (one-time or last-resort; the record is the same, the
 * store decides) — serialized exactly like libsignal's PreKeyRecord,
 * SignedPreKeyRecord and KyberPreKeyRecord so either side can load the
 * other's. libsignal stores Kyber prekeys in the signed-prekey layout.
 *
 * Signatures are XEdDSA by the identity key over the *serialized* public
 * key (0x05 || u, or 0x08 || pk).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { InvalidKeyError, InvalidRecordError } from '../errors.ts';
import { PreKeyRecordStructureSchema, SignedPreKeyRecordStructureSchema } from '../gen/storage_pb.ts';
import { checkBytes } from '../primitives/bytes.ts';
import { randomBytes } from '../primitives/index.ts';
import { decodeProto, rethrowAs } from '../error-mapping.ts';
import { type CurveKeyPair, checkCurvePublicKey, generateCurveKeyPair } from './curve-key.ts';
import { type IdentityKeyPair, signWithIdentityKey } from './identity-key.ts';
import { type KyberKeyPair, generateKyberKeyPair, kyberPublicKeyBytes, kyberSecretKeyBytes } from './kem-key.ts';

/** A one-time Curve25519 prekey. */
export interface PreKeyRecord {
  readonly id: number;
  readonly keyPair: CurveKeyPair;
}

/** A signed Curve25519 prekey. `timestamp` is milliseconds since the epoch. */
export interface SignedPreKeyRecord {
  readonly id: number;
  readonly timestamp: number;
  readonly keyPair: CurveKeyPair;
  readonly signature: Uint8Array;
}

/** A signed Kyber1024 prekey. `timestamp` is milliseconds since the epoch. */
export interface KyberPreKeyRecord {
  readonly id: number;
  readonly timestamp: number;
  readonly keyPair: KyberKeyPair;
  readonly signature: Uint8Array;
}

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new InvalidRecordError(`prekey id ${id} is not a uint32`);
  return id;
}

/** Generates a one-time prekey (`random32`: explicit randomness). */
export function generatePreKey(id: number, random32?: Uint8Array): PreKeyRecord {
  return { id: checkId(id), keyPair: generateCurveKeyPair(random32) };
}

/** Generates a signed prekey, signed by `identity`. */
export function generateSignedPreKey(options: {
  identity: IdentityKeyPair;
  id: number;
  timestamp?: number;
  random32?: Uint8Array;
  signatureRandom64?: Uint8Array;
}): SignedPreKeyRecord {
  const keyPair = generateCurveKeyPair(options.random32);
  return {
    id: checkId(options.id),
    timestamp: options.timestamp ?? Date.now(),
    keyPair,
    signature: signWithIdentityKey(options.identity, keyPair.publicKey, options.signatureRandom64 ?? randomBytes(64)),
  };
}

/** Generates a signed Kyber1024 prekey, signed by `identity`. */
export function generateKyberPreKey(options: {
  identity: IdentityKeyPair;
  id: number;
  timestamp?: number;
  seed64?: Uint8Array;
  signatureRandom64?: Uint8Array;
}): KyberPreKeyRecord {
  const keyPair = generateKyberKeyPair(options.seed64);
  return {
    id: checkId(options.id),
    timestamp: options.timestamp ?? Date.now(),
    keyPair,
    signature: signWithIdentityKey(options.identity, keyPair.publicKey, options.signatureRandom64 ?? randomBytes(64)),
  };
}

/** libsignal PreKeyRecord bytes. */
export function serializePreKeyRecord(record: PreKeyRecord): Uint8Array {
  return toBinary(
    PreKeyRecordStructureSchema,
    create(PreKeyRecordStructureSchema, {
      id: record.id,
      publicKey: record.keyPair.publicKey,
      privateKey: record.keyPair.privateKey,
    }),
  );
}

/** Parses libsignal PreKeyRecord bytes. */
export function deserializePreKeyRecord(bytes: Uint8Array): PreKeyRecord {
  checkBytes('prekey record', bytes);
  const pb = decodeProto(PreKeyRecordStructureSchema, bytes, 'prekey record');
  return { id: pb.id, keyPair: curvePair(pb.publicKey, pb.privateKey, 'prekey record') };
}

function curvePair(publicKey: Uint8Array, privateKey: Uint8Array, what: string): CurveKeyPair {
  try {
    checkCurvePublicKey(publicKey, `${what} public key`);
  } catch (e) {
    rethrowAs(e, InvalidKeyError, (message) => new InvalidRecordError(`${what}: ${message}`));
  }
  if (privateKey.length !== 32) throw new InvalidRecordError(`${what}: private key must be 32 bytes`);
  return { publicKey, privateKey };
}

function signedLayout(id: number, timestamp: number, pub: Uint8Array, priv: Uint8Array, signature: Uint8Array): Uint8Array {
  return toBinary(
    SignedPreKeyRecordStructureSchema,
    create(SignedPreKeyRecordStructureSchema, {
      id,
      publicKey: pub,
      privateKey: priv,
      signature,
      timestamp: BigInt(timestamp),
    }),
  );
}

function parseSignedLayout(bytes: Uint8Array, what: string) {
  checkBytes(what, bytes);
  return decodeProto(SignedPreKeyRecordStructureSchema, bytes, what);
}

/** libsignal SignedPreKeyRecord bytes. */
export function serializeSignedPreKeyRecord(record: SignedPreKeyRecord): Uint8Array {
  return signedLayout(record.id, record.timestamp, record.keyPair.publicKey, record.keyPair.privateKey, record.signature);
}

/** Parses libsignal SignedPreKeyRecord bytes. */
export function deserializeSignedPreKeyRecord(bytes: Uint8Array): SignedPreKeyRecord {
  const pb = parseSignedLayout(bytes, 'signed prekey record');
  return {
    id: pb.id,
    timestamp: Number(pb.timestamp),
    keyPair: curvePair(pb.publicKey, pb.privateKey, 'signed prekey record'),
    signature: pb.signature,
  };
}

/** libsignal KyberPreKeyRecord bytes. */
export function serializeKyberPreKeyRecord(record: KyberPreKeyRecord): Uint8Array {
  return signedLayout(record.id, record.timestamp, record.keyPair.publicKey, record.keyPair.secretKey, record.signature);
}

/** Parses libsignal KyberPreKeyRecord bytes. */
export function deserializeKyberPreKeyRecord(bytes: Uint8Array): KyberPreKeyRecord {
  const pb = parseSignedLayout(bytes, 'Kyber prekey record');
  try {
    kyberPublicKeyBytes(pb.publicKey);
    kyberSecretKeyBytes(pb.privateKey);
  } catch (e) {
    rethrowAs(e, InvalidKeyError, (message) => new InvalidRecordError(`Kyber prekey record: ${message}`));
  }
  return {
    id: pb.id,
    timestamp: Number(pb.timestamp),
    keyPair: { publicKey: pb.publicKey, secretKey: pb.privateKey },
    signature: pb.signature,
  };
}
