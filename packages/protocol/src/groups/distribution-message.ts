/**
 * `SenderKeyDistributionMessage` (SKDM) framing (libsignal `protocol.rs`):
 *
 *   0x33 || SenderKeyDistributionMessage protobuf
 *
 * with no signature: it is authenticated by the 1:1 session it travels in
 * (`Content.senderKeyDistributionMessage`). It hands a member the sender's
 * chain key at `iteration` and the chain's public signing key.
 */
import { create, isFieldSet, toBinary } from '@bufbuild/protobuf';
import { InvalidArgumentError, InvalidKeyError, InvalidMessageError } from '../errors.ts';
import { SenderKeyDistributionMessageSchema } from '../gen/wire_pb.ts';
import { checkCurvePublicKey } from '../keys/curve-key.ts';
import { checkBytes } from '../primitives/index.ts';
import { decodeProto, rethrowAs } from '../error-mapping.ts';
import { SENDER_CHAIN_KEY_LENGTH } from './constants.ts';
import { distributionIdBytes, distributionIdFromWire } from './distribution-id.ts';
import { readSenderKeyVersion, senderKeyVersionByte } from './version.ts';

/** libsignal: "the message contains at least a X25519 key and a chain key". */
const SKDM_MIN_LENGTH = 1 + 32 + 32;

/** A parsed (or freshly built) SenderKeyDistributionMessage. */
export interface SenderKeyDistributionMessage {
  readonly messageVersion: number;
  /** The distribution id, a canonical UUID string. */
  readonly distributionId: string;
  readonly chainId: number;
  readonly iteration: number;
  /** The chain key (32 bytes) at `iteration`. */
  readonly chainKey: Uint8Array;
  /** The chain's public signing key, 0x05-prefixed (33 bytes). */
  readonly signingKey: Uint8Array;
  /** The complete framed bytes. */
  readonly serialized: Uint8Array;
}

function checkU32(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`${name} must be an unsigned 32-bit integer, got ${value}`);
  }
  return value;
}

/** Builds an SKDM (libsignal `SenderKeyDistributionMessage::new`). */
export function encodeDistributionMessage(fields: {
  messageVersion: number;
  distributionId: string;
  chainId: number;
  iteration: number;
  chainKey: Uint8Array;
  signingKey: Uint8Array;
}): SenderKeyDistributionMessage {
  const distributionUuid = distributionIdBytes(fields.distributionId);
  const chainKey = checkBytes('chainKey', fields.chainKey, SENDER_CHAIN_KEY_LENGTH).slice();
  const signingKey = checkCurvePublicKey(fields.signingKey, 'signingKey').slice();
  const body = toBinary(
    SenderKeyDistributionMessageSchema,
    create(SenderKeyDistributionMessageSchema, {
      distributionUuid,
      chainId: checkU32('chainId', fields.chainId),
      iteration: checkU32('iteration', fields.iteration),
      chainKey,
      signingKey,
    }),
  );
  const serialized = new Uint8Array(1 + body.length);
  serialized[0] = senderKeyVersionByte(fields.messageVersion);
  serialized.set(body, 1);
  return {
    messageVersion: fields.messageVersion,
    distributionId: distributionIdFromWire(distributionUuid, 'SenderKeyDistributionMessage'),
    chainId: fields.chainId,
    iteration: fields.iteration,
    chainKey,
    signingKey,
    serialized,
  };
}

/** Parses a framed SKDM (copying it), rejecting what libsignal rejects, with typed errors. */
export function decodeDistributionMessage(input: Uint8Array): SenderKeyDistributionMessage {
  if (!(input instanceof Uint8Array)) throw new InvalidMessageError('SenderKeyDistributionMessage must be a Uint8Array');
  const bytes = input.slice();
  if (bytes.length < SKDM_MIN_LENGTH) {
    throw new InvalidMessageError(`SenderKeyDistributionMessage too short (${bytes.length} bytes)`);
  }
  const what = 'SenderKeyDistributionMessage';
  const messageVersion = readSenderKeyVersion(bytes, what);
  const pb = decodeProto(SenderKeyDistributionMessageSchema, bytes.subarray(1), what, InvalidMessageError);
  const f = SenderKeyDistributionMessageSchema.field;
  if (!isFieldSet(pb, f.distributionUuid)) throw new InvalidMessageError(`${what}: missing distribution id`);
  const distributionId = distributionIdFromWire(pb.distributionUuid, what);
  if (!isFieldSet(pb, f.chainId)) throw new InvalidMessageError(`${what}: missing chain id`);
  if (!isFieldSet(pb, f.iteration)) throw new InvalidMessageError(`${what}: missing iteration`);
  if (!isFieldSet(pb, f.chainKey)) throw new InvalidMessageError(`${what}: missing chain key`);
  if (!isFieldSet(pb, f.signingKey)) throw new InvalidMessageError(`${what}: missing signing key`);
  if (pb.chainKey.length !== SENDER_CHAIN_KEY_LENGTH) {
    throw new InvalidMessageError(`${what}: chain key must be ${SENDER_CHAIN_KEY_LENGTH} bytes, got ${pb.chainKey.length}`);
  }
  if (pb.signingKey.length !== 33) throw new InvalidMessageError(`${what}: signing key must be 33 bytes, got ${pb.signingKey.length}`);
  try {
    checkCurvePublicKey(pb.signingKey, `${what} signing key`);
  } catch (e) {
    rethrowAs(e, InvalidKeyError, (message) => new InvalidMessageError(message));
  }
  return {
    messageVersion,
    distributionId,
    chainId: pb.chainId,
    iteration: pb.iteration,
    chainKey: pb.chainKey,
    signingKey: pb.signingKey,
    serialized: bytes,
  };
}
