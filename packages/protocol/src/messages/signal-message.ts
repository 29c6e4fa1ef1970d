/**
 * `SignalMessage` framing (libsignal `protocol.rs`):
 *
 *   version byte || SignalMessage protobuf || MAC[0..8]
 *   MAC = HMAC-SHA256(macKey, senderIdentity(33) || receiverIdentity(33)
 *                              || version byte || protobuf)
 *
 * A parsed message keeps the exact received bytes, and the MAC is checked
 * over those bytes — never over a re-encoding — so every field (SPQR's
 * `pq_ratchet` = 5, `addresses` = 6, unknown ones) stays covered byte for byte.
 */
import { create, isFieldSet, toBinary } from '@bufbuild/protobuf';
import { InvalidKeyError, InvalidMessageError } from '../errors.ts';
import { SignalMessageSchema } from '../gen/wire_pb.ts';
import { checkCurvePublicKey } from '../keys/curve-key.ts';
import { constantTimeEqual, hmacSha256 } from '../primitives/index.ts';
import { decodeProto, rethrowAs } from '../error-mapping.ts';
import { readMessageVersion, versionByte } from './version.ts';

/** Length of the truncated MAC that ends every SignalMessage. */
export const SIGNAL_MESSAGE_MAC_LENGTH = 8;

/** A parsed (or freshly built) SignalMessage. */
export interface SignalMessage {
  readonly messageVersion: number;
  /** Sender's ratchet public key, 0x05-prefixed. */
  readonly senderRatchetKey: Uint8Array;
  readonly counter: number;
  readonly previousCounter: number;
  readonly ciphertext: Uint8Array;
  /** SPQR payload (field 5), empty when absent (SPQR off, V0). */
  readonly pqRatchet: Uint8Array;
  /** Sender and recipient addresses (field 6, 36 bytes), undefined when absent. */
  readonly addresses?: Uint8Array | undefined;
  /** The complete framed bytes, MAC included. */
  readonly serialized: Uint8Array;
}

function computeMac(
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
  macKey: Uint8Array,
  content: Uint8Array,
): Uint8Array {
  // Fed as three parts: building the concatenation cost ~7% of the symmetric-ratchet loop.
  return hmacSha256(macKey, senderIdentity, receiverIdentity, content).subarray(0, SIGNAL_MESSAGE_MAC_LENGTH);
}

/** Builds and MACs a SignalMessage; an empty `pqRatchet` and absent `addresses` are left out. */
export function encodeSignalMessage(fields: {
  messageVersion: number;
  macKey: Uint8Array;
  senderRatchetKey: Uint8Array;
  counter: number;
  previousCounter: number;
  ciphertext: Uint8Array;
  senderIdentity: Uint8Array;
  receiverIdentity: Uint8Array;
  pqRatchet?: Uint8Array | undefined;
  addresses?: Uint8Array | undefined;
}): SignalMessage {
  const pb = create(SignalMessageSchema, {
    ratchetKey: fields.senderRatchetKey,
    counter: fields.counter,
    previousCounter: fields.previousCounter,
    ciphertext: fields.ciphertext,
  });
  const pqRatchet = fields.pqRatchet ?? new Uint8Array(0);
  if (pqRatchet.length > 0) pb.pqRatchet = pqRatchet;
  if (fields.addresses !== undefined) pb.addresses = fields.addresses;
  const body = toBinary(SignalMessageSchema, pb);
  const serialized = new Uint8Array(1 + body.length + SIGNAL_MESSAGE_MAC_LENGTH);
  serialized[0] = versionByte(fields.messageVersion);
  serialized.set(body, 1);
  const mac = computeMac(fields.senderIdentity, fields.receiverIdentity, fields.macKey, serialized.subarray(0, 1 + body.length));
  serialized.set(mac, 1 + body.length);
  return {
    messageVersion: fields.messageVersion,
    senderRatchetKey: fields.senderRatchetKey,
    counter: fields.counter,
    previousCounter: fields.previousCounter,
    ciphertext: fields.ciphertext,
    pqRatchet,
    addresses: fields.addresses,
    serialized,
  };
}

/** Parses a framed SignalMessage (copying it); structural problems are typed errors. */
export function decodeSignalMessage(input: Uint8Array): SignalMessage {
  if (!(input instanceof Uint8Array)) throw new InvalidMessageError('SignalMessage must be a Uint8Array');
  // A private copy: everything the message (and a state built from it) keeps points into it.
  const bytes = input.slice();
  if (bytes.length < SIGNAL_MESSAGE_MAC_LENGTH + 1) {
    throw new InvalidMessageError(`SignalMessage too short (${bytes.length} bytes)`);
  }
  const messageVersion = readMessageVersion(bytes, 'SignalMessage');
  const body = bytes.subarray(1, bytes.length - SIGNAL_MESSAGE_MAC_LENGTH);
  const pb = decodeProto(SignalMessageSchema, body, 'SignalMessage', InvalidMessageError);
  if (!isFieldSet(pb, SignalMessageSchema.field.ratchetKey)) throw new InvalidMessageError('SignalMessage: missing ratchet key');
  if (!isFieldSet(pb, SignalMessageSchema.field.counter)) throw new InvalidMessageError('SignalMessage: missing counter');
  if (!isFieldSet(pb, SignalMessageSchema.field.ciphertext)) throw new InvalidMessageError('SignalMessage: missing ciphertext');
  try {
    checkCurvePublicKey(pb.ratchetKey, 'SignalMessage ratchet key');
  } catch (e) {
    rethrowAs(e, InvalidKeyError, (message) => new InvalidMessageError(message));
  }
  return {
    messageVersion,
    senderRatchetKey: pb.ratchetKey,
    counter: pb.counter,
    previousCounter: pb.previousCounter,
    ciphertext: pb.ciphertext,
    pqRatchet: pb.pqRatchet,
    addresses: isFieldSet(pb, SignalMessageSchema.field.addresses) ? pb.addresses : undefined,
    serialized: bytes,
  };
}

/** Verifies the truncated MAC over the message's received bytes (constant time). */
export function verifySignalMessageMac(
  message: SignalMessage,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
  macKey: Uint8Array,
): boolean {
  const s = message.serialized;
  const split = s.length - SIGNAL_MESSAGE_MAC_LENGTH;
  const ours = computeMac(senderIdentity, receiverIdentity, macKey, s.subarray(0, split));
  return constantTimeEqual(ours, s.subarray(split));
}
