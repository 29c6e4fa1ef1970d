/**
 * Identity keys: a long-term Curve25519 key pair whose public half
 * (0x05-prefixed) names a device, and whose private half signs prekeys with
 * XEdDSA. Serialized like libsignal's `IdentityKeyPair`
 * (IdentityKeyPairStructure: public 33 bytes, private 32 bytes).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { InvalidRecordError } from '../errors.ts';
import { IdentityKeyPairStructureSchema } from '../gen/storage_pb.ts';
import { randomBytes, xeddsaSign, xeddsaVerify } from '../primitives/index.ts';
import { checkBytes, equalBytes } from '../primitives/bytes.ts';
import { decodeProto } from '../error-mapping.ts';
import { type CurveKeyPair, checkCurvePublicKey, curveKeyPairFromPrivate, curvePublicKeyBytes } from './curve-key.ts';

/** An identity key pair (same shape as any Curve25519 key pair). */
export type IdentityKeyPair = CurveKeyPair;

/** Generates an identity key pair; `random32` is explicit randomness for vectors. */
export function generateIdentityKeyPair(random32: Uint8Array = randomBytes(32)): IdentityKeyPair {
  return curveKeyPairFromPrivate(random32);
}

/** Serializes as libsignal's IdentityKeyPairStructure. */
export function serializeIdentityKeyPair(pair: IdentityKeyPair): Uint8Array {
  return toBinary(
    IdentityKeyPairStructureSchema,
    create(IdentityKeyPairStructureSchema, { publicKey: pair.publicKey, privateKey: pair.privateKey }),
  );
}

/** Parses libsignal's IdentityKeyPairStructure; checks that the halves match. */
export function deserializeIdentityKeyPair(bytes: Uint8Array): IdentityKeyPair {
  checkBytes('identity key pair', bytes);
  const pb = decodeProto(IdentityKeyPairStructureSchema, bytes, 'identity key pair');
  checkCurvePublicKey(pb.publicKey, 'identity public key');
  if (pb.privateKey.length !== 32) throw new InvalidRecordError('identity key pair: private key must be 32 bytes');
  const pair = curveKeyPairFromPrivate(pb.privateKey);
  if (!equalBytes(pair.publicKey, pb.publicKey)) {
    throw new InvalidRecordError('identity key pair: public key does not match private key');
  }
  return { publicKey: pb.publicKey, privateKey: pair.privateKey };
}

/**
 * XEdDSA-signs `message` with an identity key, as libsignal does for prekey
 * signatures. `random64` is explicit randomness for vectors.
 */
export function signWithIdentityKey(
  identity: IdentityKeyPair,
  message: Uint8Array,
  random64: Uint8Array = randomBytes(64),
): Uint8Array {
  return xeddsaSign(identity.privateKey, message, random64);
}

/** Verifies an XEdDSA signature by a serialized (0x05-prefixed) identity key. */
export function verifyIdentitySignature(identityKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  return xeddsaVerify(curvePublicKeyBytes(identityKey, 'identity key'), message, signature);
}
