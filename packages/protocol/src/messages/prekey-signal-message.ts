/**
 * `PreKeySignalMessage` framing (libsignal `protocol.rs`):
 *
 *   version byte || PreKeySignalMessage protobuf
 *
 * It carries the PQXDH material (ids of the prekeys used, base key, identity
 * key, Kyber ciphertext) around a full framed SignalMessage. It has no MAC
 * of its own; the inner message's MAC authenticates the session.
 */
import { create, isFieldSet, toBinary } from '@bufbuild/protobuf';
import { InvalidKeyError, InvalidMessageError } from '../errors.ts';
import { PreKeySignalMessageSchema } from '../gen/wire_pb.ts';
import { checkCurvePublicKey } from '../keys/curve-key.ts';
import { decodeProto, rethrowAs } from '../error-mapping.ts';
import { CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION } from '../ratchet/constants.ts';
import { type SignalMessage, decodeSignalMessage } from './signal-message.ts';
import { readMessageVersion, versionByte } from './version.ts';

/** A parsed (or freshly built) PreKeySignalMessage. */
export interface PreKeySignalMessage {
  readonly messageVersion: number;
  readonly registrationId: number;
  /** One-time EC prekey id, when the initiator used one. */
  readonly preKeyId: number | undefined;
  readonly signedPreKeyId: number;
  /** Kyber prekey id and ciphertext (0x08-prefixed); absent only in pre-Kyber (v3) messages. */
  readonly kyberPreKeyId: number | undefined;
  readonly kyberCiphertext: Uint8Array | undefined;
  /** Initiator's base key, 0x05-prefixed. */
  readonly baseKey: Uint8Array;
  /** Initiator's identity key, 0x05-prefixed. */
  readonly identityKey: Uint8Array;
  readonly message: SignalMessage;
  /** The complete framed bytes. */
  readonly serialized: Uint8Array;
}

/** Builds a PreKeySignalMessage around an already framed SignalMessage. */
export function encodePreKeySignalMessage(fields: {
  messageVersion: number;
  registrationId: number;
  preKeyId: number | undefined;
  signedPreKeyId: number;
  kyberPreKeyId: number | undefined;
  kyberCiphertext: Uint8Array | undefined;
  baseKey: Uint8Array;
  identityKey: Uint8Array;
  message: SignalMessage;
}): PreKeySignalMessage {
  const pb = create(PreKeySignalMessageSchema, {
    registrationId: fields.registrationId,
    signedPreKeyId: fields.signedPreKeyId,
    baseKey: fields.baseKey,
    identityKey: fields.identityKey,
    message: fields.message.serialized,
  });
  if (fields.preKeyId !== undefined) pb.preKeyId = fields.preKeyId;
  if (fields.kyberPreKeyId !== undefined && fields.kyberCiphertext !== undefined) {
    pb.kyberPreKeyId = fields.kyberPreKeyId;
    pb.kyberCiphertext = fields.kyberCiphertext;
  }
  const body = toBinary(PreKeySignalMessageSchema, pb);
  const serialized = new Uint8Array(1 + body.length);
  serialized[0] = versionByte(fields.messageVersion);
  serialized.set(body, 1);
  return { ...fields, serialized };
}

/** Parses a framed PreKeySignalMessage (and its inner SignalMessage). */
export function decodePreKeySignalMessage(input: Uint8Array): PreKeySignalMessage {
  if (!(input instanceof Uint8Array)) throw new InvalidMessageError('PreKeySignalMessage must be a Uint8Array');
  // A private copy: the base and identity keys end up in the session state.
  const bytes = input.slice();
  const messageVersion = readMessageVersion(bytes, 'PreKeySignalMessage');
  const pb = decodeProto(PreKeySignalMessageSchema, bytes.subarray(1), 'PreKeySignalMessage', InvalidMessageError);
  const f = PreKeySignalMessageSchema.field;
  if (!isFieldSet(pb, f.baseKey)) throw new InvalidMessageError('PreKeySignalMessage: missing base key');
  if (!isFieldSet(pb, f.identityKey)) throw new InvalidMessageError('PreKeySignalMessage: missing identity key');
  if (!isFieldSet(pb, f.message)) throw new InvalidMessageError('PreKeySignalMessage: missing message');
  if (!isFieldSet(pb, f.signedPreKeyId)) throw new InvalidMessageError('PreKeySignalMessage: missing signed prekey id');
  try {
    checkCurvePublicKey(pb.baseKey, 'PreKeySignalMessage base key');
    checkCurvePublicKey(pb.identityKey, 'PreKeySignalMessage identity key');
  } catch (e) {
    rethrowAs(e, InvalidKeyError, (message) => new InvalidMessageError(message));
  }
  const hasKyberId = isFieldSet(pb, f.kyberPreKeyId);
  const hasKyberCt = isFieldSet(pb, f.kyberCiphertext);
  if (hasKyberId !== hasKyberCt) {
    throw new InvalidMessageError('PreKeySignalMessage: both or neither Kyber prekey id and ciphertext must be present');
  }
  if (!hasKyberId && messageVersion > CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION) {
    throw new InvalidMessageError('PreKeySignalMessage: Kyber prekey must be present for this session version');
  }
  return {
    messageVersion,
    registrationId: pb.registrationId,
    preKeyId: isFieldSet(pb, f.preKeyId) ? pb.preKeyId : undefined,
    signedPreKeyId: pb.signedPreKeyId,
    kyberPreKeyId: hasKyberId ? pb.kyberPreKeyId : undefined,
    kyberCiphertext: hasKyberCt ? pb.kyberCiphertext : undefined,
    baseKey: pb.baseKey,
    identityKey: pb.identityKey,
    message: decodeSignalMessage(pb.message),
    serialized: bytes,
  };
}
