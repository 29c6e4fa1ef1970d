/**
 * SessionState <-> libsignal's `SessionStructure` protobuf (storage.proto),
 * so records written by either implementation load in the other.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { InvalidRecordError } from '../errors.ts';
import { isSerializedCurvePublicKey } from '../keys/curve-key.ts';
import { decodeProto } from '../error-mapping.ts';
import {
  type SessionStructure,
  SessionStructureSchema,
  type SessionStructure_Chain,
  SessionStructure_ChainSchema,
  SessionStructure_Chain_ChainKeySchema,
  SessionStructure_Chain_MessageKeySchema,
  SessionStructure_PendingKyberPreKeySchema,
  SessionStructure_PendingPreKeySchema,
} from '../gen/storage_pb.ts';
import type { ChainKey } from '../ratchet/chain-key.ts';
import type { ReceiverChain, SessionState, SkippedMessageKey } from './session-state.ts';

const EMPTY = new Uint8Array(0);

function chainKeyToPb(chainKey: ChainKey) {
  return create(SessionStructure_Chain_ChainKeySchema, { index: chainKey.index, key: chainKey.key });
}

function skippedToPb(k: SkippedMessageKey) {
  if ('seed' in k) return create(SessionStructure_Chain_MessageKeySchema, { index: k.index, seed: k.seed });
  return create(SessionStructure_Chain_MessageKeySchema, {
    index: k.index,
    cipherKey: k.keys.cipherKey,
    macKey: k.keys.macKey,
    iv: k.keys.iv,
  });
}

/** Builds the protobuf form of a state. */
export function sessionStateToPb(state: SessionState): SessionStructure {
  const pending = state.unacknowledged;
  return create(SessionStructureSchema, {
    sessionVersion: state.version,
    localIdentityPublic: state.localIdentityKey,
    remoteIdentityPublic: state.remoteIdentityKey,
    rootKey: state.rootKey,
    previousCounter: state.previousCounter,
    senderChain:
      state.senderChain === undefined
        ? undefined
        : create(SessionStructure_ChainSchema, {
            senderRatchetKey: state.senderChain.ratchetKeyPair.publicKey,
            senderRatchetKeyPrivate: state.senderChain.ratchetKeyPair.privateKey,
            chainKey: chainKeyToPb(state.senderChain.chainKey),
          }),
    receiverChains: state.receiverChains.map((c) =>
      create(SessionStructure_ChainSchema, {
        senderRatchetKey: c.senderRatchetKey,
        chainKey: chainKeyToPb(c.chainKey),
        messageKeys: c.messageKeys.map(skippedToPb),
      }),
    ),
    pendingPreKey:
      pending === undefined
        ? undefined
        : create(SessionStructure_PendingPreKeySchema, {
            ...(pending.preKeyId === undefined ? {} : { preKeyId: pending.preKeyId }),
            signedPreKeyId: pending.signedPreKeyId | 0,
            baseKey: pending.baseKey,
            timestamp: BigInt(pending.timestamp),
          }),
    pendingKyberPreKey:
      pending?.kyberPreKey === undefined
        ? undefined
        : create(SessionStructure_PendingKyberPreKeySchema, {
            preKeyId: pending.kyberPreKey.preKeyId,
            ciphertext: pending.kyberPreKey.ciphertext,
          }),
    remoteRegistrationId: state.remoteRegistrationId,
    localRegistrationId: state.localRegistrationId,
    aliceBaseKey: state.aliceBaseKey,
    pqRatchetState: state.pqRatchetState,
  });
}

/** Serializes one state as SessionStructure bytes (archived states are kept this way). */
export function encodeSessionState(state: SessionState): Uint8Array {
  return toBinary(SessionStructureSchema, sessionStateToPb(state));
}

function need(cond: boolean, what: string): void {
  if (!cond) throw new InvalidRecordError(`session state: ${what}`);
}

function chainKeyFromPb(pb: SessionStructure_Chain, what: string): ChainKey {
  need(pb.chainKey !== undefined, `${what} has no chain key`);
  need(pb.chainKey!.key.length === 32, `${what} chain key must be 32 bytes`);
  return { key: pb.chainKey!.key, index: pb.chainKey!.index };
}

/** Builds a state from its protobuf form, checking every key's shape. */
export function sessionStateFromPb(pb: SessionStructure): SessionState {
  need(pb.rootKey.length === 32, 'root key must be 32 bytes');
  need(isSerializedCurvePublicKey(pb.localIdentityPublic), 'invalid local identity key');
  need(isSerializedCurvePublicKey(pb.remoteIdentityPublic), 'invalid remote identity key');
  let senderChain: SessionState['senderChain'];
  if (pb.senderChain !== undefined) {
    const c = pb.senderChain;
    need(isSerializedCurvePublicKey(c.senderRatchetKey), 'invalid sender ratchet key');
    need(c.senderRatchetKeyPrivate.length === 32, 'invalid sender ratchet private key');
    senderChain = {
      ratchetKeyPair: { publicKey: c.senderRatchetKey, privateKey: c.senderRatchetKeyPrivate },
      chainKey: chainKeyFromPb(c, 'sender chain'),
    };
  }
  const receiverChains: ReceiverChain[] = pb.receiverChains.map((c) => {
    need(isSerializedCurvePublicKey(c.senderRatchetKey), 'invalid receiver ratchet key');
    return {
      senderRatchetKey: c.senderRatchetKey,
      chainKey: chainKeyFromPb(c, 'receiver chain'),
      messageKeys: c.messageKeys.map((m): SkippedMessageKey => {
        if (m.seed.length > 0) {
          need(m.seed.length === 32, 'message key seed must be 32 bytes');
          return { index: m.index, seed: m.seed };
        }
        need(m.cipherKey.length === 32 && m.macKey.length === 32 && m.iv.length === 16, 'invalid message keys');
        return { index: m.index, keys: { cipherKey: m.cipherKey, macKey: m.macKey, iv: m.iv } };
      }),
    };
  });
  const p = pb.pendingPreKey;
  if (p !== undefined) need(isSerializedCurvePublicKey(p.baseKey), 'invalid pending base key');
  return {
    // libsignal reads version 0 as 2 (pre-versioned records).
    version: pb.sessionVersion === 0 ? 2 : pb.sessionVersion,
    localIdentityKey: pb.localIdentityPublic,
    remoteIdentityKey: pb.remoteIdentityPublic,
    rootKey: pb.rootKey,
    previousCounter: pb.previousCounter,
    senderChain,
    receiverChains,
    // A Kyber part without pending_pre_key means nothing to libsignal either
    // (`unacknowledged_pre_key_message_items` reads it only through pending_pre_key).
    unacknowledged:
      p === undefined
        ? undefined
        : {
            preKeyId: p.preKeyId,
            signedPreKeyId: p.signedPreKeyId >>> 0,
            baseKey: p.baseKey,
            timestamp: Number(p.timestamp),
            kyberPreKey:
              pb.pendingKyberPreKey === undefined
                ? undefined
                : { preKeyId: pb.pendingKyberPreKey.preKeyId, ciphertext: pb.pendingKyberPreKey.ciphertext },
          },
    remoteRegistrationId: pb.remoteRegistrationId,
    localRegistrationId: pb.localRegistrationId,
    aliceBaseKey: pb.aliceBaseKey,
    pqRatchetState: pb.pqRatchetState ?? EMPTY,
  };
}

/** Parses SessionStructure bytes. */
export function decodeSessionState(bytes: Uint8Array): SessionState {
  return sessionStateFromPb(decodeProto(SessionStructureSchema, bytes, 'session state'));
}
