/**
 * `SenderKeyMessage` framing (libsignal `protocol.rs`):
 *
 *   0x33 || SenderKeyMessage protobuf || XEdDSA signature (64)
 *
 * signed by the chain's signing key over every byte before the signature.
 * The decoder keeps the exact received bytes; the signature is checked over
 * them, never over a re-encoding.
 */
import { create, isFieldSet, toBinary } from '@bufbuild/protobuf';
import { InvalidArgumentError, InvalidMessageError } from '../errors.ts';
import { SenderKeyMessageSchema } from '../gen/wire_pb.ts';
import { curvePublicKeyBytes } from '../keys/curve-key.ts';
import { checkBytes, xeddsaSign, xeddsaVerify } from '../primitives/index.ts';
import { decodeProto } from '../error-mapping.ts';
import { SENDER_KEY_SIGNATURE_LENGTH } from './constants.ts';
import { distributionIdBytes, distributionIdFromWire } from './distribution-id.ts';
import { readSenderKeyVersion, senderKeyVersionByte } from './version.ts';

/** A parsed (or freshly built) SenderKeyMessage. */
export interface SenderKeyMessage {
  readonly messageVersion: number;
  /** The distribution id, a canonical UUID string. */
  readonly distributionId: string;
  readonly chainId: number;
  readonly iteration: number;
  readonly ciphertext: Uint8Array;
  /** The complete framed bytes, signature included. */
  readonly serialized: Uint8Array;
}

function checkU32(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`${name} must be an unsigned 32-bit integer, got ${value}`);
  }
  return value;
}

/** Builds and signs a SenderKeyMessage; `random64` is the XEdDSA randomness (fresh when absent). */
export function encodeSenderKeyMessage(fields: {
  messageVersion: number;
  distributionId: string;
  chainId: number;
  iteration: number;
  ciphertext: Uint8Array;
  signingPrivateKey: Uint8Array;
  random64?: Uint8Array | undefined;
}): SenderKeyMessage {
  const distributionUuid = distributionIdBytes(fields.distributionId);
  const body = toBinary(
    SenderKeyMessageSchema,
    create(SenderKeyMessageSchema, {
      distributionUuid,
      chainId: checkU32('chainId', fields.chainId),
      iteration: checkU32('iteration', fields.iteration),
      ciphertext: checkBytes('ciphertext', fields.ciphertext),
    }),
  );
  const serialized = new Uint8Array(1 + body.length + SENDER_KEY_SIGNATURE_LENGTH);
  serialized[0] = senderKeyVersionByte(fields.messageVersion);
  serialized.set(body, 1);
  const signature = xeddsaSign(fields.signingPrivateKey, serialized.subarray(0, 1 + body.length), fields.random64);
  serialized.set(signature, 1 + body.length);
  return {
    messageVersion: fields.messageVersion,
    distributionId: distributionIdFromWire(distributionUuid, 'SenderKeyMessage'),
    chainId: fields.chainId,
    iteration: fields.iteration,
    ciphertext: fields.ciphertext,
    serialized,
  };
}

/** Parses a framed SenderKeyMessage (copying it), rejecting what libsignal rejects, with typed errors. */
export function decodeSenderKeyMessage(input: Uint8Array): SenderKeyMessage {
  if (!(input instanceof Uint8Array)) throw new InvalidMessageError('SenderKeyMessage must be a Uint8Array');
  const bytes = input.slice();
  if (bytes.length < 1 + SENDER_KEY_SIGNATURE_LENGTH) {
    throw new InvalidMessageError(`SenderKeyMessage too short (${bytes.length} bytes)`);
  }
  const messageVersion = readSenderKeyVersion(bytes, 'SenderKeyMessage');
  const body = bytes.subarray(1, bytes.length - SENDER_KEY_SIGNATURE_LENGTH);
  const pb = decodeProto(SenderKeyMessageSchema, body, 'SenderKeyMessage', InvalidMessageError);
  const f = SenderKeyMessageSchema.field;
  if (!isFieldSet(pb, f.distributionUuid)) throw new InvalidMessageError('SenderKeyMessage: missing distribution id');
  const distributionId = distributionIdFromWire(pb.distributionUuid, 'SenderKeyMessage');
  if (!isFieldSet(pb, f.chainId)) throw new InvalidMessageError('SenderKeyMessage: missing chain id');
  if (!isFieldSet(pb, f.iteration)) throw new InvalidMessageError('SenderKeyMessage: missing iteration');
  if (!isFieldSet(pb, f.ciphertext)) throw new InvalidMessageError('SenderKeyMessage: missing ciphertext');
  return { messageVersion, distributionId, chainId: pb.chainId, iteration: pb.iteration, ciphertext: pb.ciphertext, serialized: bytes };
}

/** Verifies the XEdDSA signature over the received bytes with a 0x05-prefixed signing key. */
export function verifySenderKeyMessage(message: SenderKeyMessage, signingPublicKey: Uint8Array): boolean {
  const s = message.serialized;
  const split = s.length - SENDER_KEY_SIGNATURE_LENGTH;
  return xeddsaVerify(curvePublicKeyBytes(signingPublicKey, 'sender signing key'), s.subarray(0, split), s.subarray(split));
}
