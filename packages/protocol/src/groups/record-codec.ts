/**
 * `SenderKeyRecord` bytes in libsignal v0.90.0's layout (storage.proto
 * `SenderKeyRecordStructure`, proto3), so records move between libsignal
 * and Sealpost both ways: a record libsignal wrote decodes here and encodes
 * back to the same bytes.
 *
 * Decoding is strict where libsignal's later use would fail anyway: key and
 * seed lengths are checked here (InvalidRecordError) instead of at the
 * first encrypt or decrypt.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { InvalidRecordError } from '../errors.ts';
import {
  SenderKeyRecordStructureSchema,
  SenderKeyStateStructureSchema,
  type SenderKeyStateStructure,
} from '../gen/storage_pb.ts';
import { isSerializedCurvePublicKey } from '../keys/curve-key.ts';
import { decodeProto } from '../error-mapping.ts';
import { SENDER_CHAIN_KEY_LENGTH } from './constants.ts';
import type { SenderKeyRecord } from './record.ts';
import type { SenderKeyState } from './state.ts';

function stateToProto(state: SenderKeyState): SenderKeyStateStructure {
  const pb = create(SenderKeyStateStructureSchema, {
    chainId: state.chainId,
    senderMessageKeys: state.messageKeys.map((k) => ({ iteration: k.iteration, seed: k.seed })),
    messageVersion: state.messageVersion,
  });
  if (state.chainKey !== undefined) pb.senderChainKey = { $typeName: 'sealpost.storage.SenderKeyStateStructure.SenderChainKey', ...state.chainKey };
  if (state.signingKey !== undefined) {
    pb.senderSigningKey = {
      $typeName: 'sealpost.storage.SenderKeyStateStructure.SenderSigningKey',
      public: state.signingKey.publicKey,
      private: state.signingKey.privateKey,
    };
  }
  return pb;
}

/** The record's bytes (libsignal `SenderKeyRecord::serialize`). */
export function serializeSenderKeyRecord(record: SenderKeyRecord): Uint8Array {
  return toBinary(SenderKeyRecordStructureSchema, create(SenderKeyRecordStructureSchema, { senderKeyStates: record.states.map(stateToProto) }));
}

function stateFromProto(pb: SenderKeyStateStructure, index: number): SenderKeyState {
  const what = `sender key record state ${index}`;
  const chain = pb.senderChainKey;
  if (chain !== undefined && chain.seed.length !== SENDER_CHAIN_KEY_LENGTH) {
    throw new InvalidRecordError(`${what}: chain key must be ${SENDER_CHAIN_KEY_LENGTH} bytes, got ${chain.seed.length}`);
  }
  const signing = pb.senderSigningKey;
  if (signing !== undefined) {
    if (!isSerializedCurvePublicKey(signing.public)) throw new InvalidRecordError(`${what}: signing key is not a 33-byte 0x05 public key`);
    if (signing.private.length !== 0 && signing.private.length !== 32) {
      throw new InvalidRecordError(`${what}: private signing key must be 32 bytes or empty, got ${signing.private.length}`);
    }
  }
  for (const k of pb.senderMessageKeys) {
    if (k.seed.length !== SENDER_CHAIN_KEY_LENGTH) throw new InvalidRecordError(`${what}: message key ${k.iteration} has a ${k.seed.length}-byte seed`);
  }
  return {
    chainId: pb.chainId,
    messageVersion: pb.messageVersion,
    chainKey: chain === undefined ? undefined : { iteration: chain.iteration, seed: chain.seed },
    signingKey: signing === undefined ? undefined : { publicKey: signing.public, privateKey: signing.private },
    messageKeys: pb.senderMessageKeys.map((k) => ({ iteration: k.iteration, seed: k.seed })),
  };
}

/** Parses record bytes (libsignal `SenderKeyRecord::deserialize`); a bad record is an InvalidRecordError. */
export function deserializeSenderKeyRecord(bytes: Uint8Array): SenderKeyRecord {
  if (!(bytes instanceof Uint8Array)) throw new InvalidRecordError('sender key record must be a Uint8Array');
  const pb = decodeProto(SenderKeyRecordStructureSchema, bytes, 'sender key record', InvalidRecordError);
  return { states: pb.senderKeyStates.map(stateFromProto) };
}
