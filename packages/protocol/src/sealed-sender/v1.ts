/**
 * Sealed sender v1: one envelope for one recipient (libsignal
 * `sealed_sender_encrypt_from_usmc` / the V1 branch of
 * `sealed_sender_decrypt_to_usmc`).
 *
 * Wire: `0x11 ‖ UnidentifiedSenderMessage { ephemeralPublic = 1 (33 bytes),
 * encryptedStatic = 2, encryptedMessage = 3 }`.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { strictWire } from '../wire/strict-wire.ts';
import { SEALED_V1_WIRE } from '../wire/wire-schemas.ts';
import { InvalidSealedMessageError, SealedDecryptionError, UnknownSealedVersionError } from '../errors.ts';
import { checkBytes, concatBytes } from '../primitives/bytes.ts';
import { x25519GenerateKeyPair } from '../primitives/index.ts';
import { encodeSealedContent, type SealedContent } from './content.ts';
import { isSerializedCurvePublicKey, rawCurvePublicKey, serializeCurvePublicKey, type SealedKeyPair } from '../keys/curve-key.ts';
import { agree, ctrHmacDecrypt, ctrHmacEncrypt, v1EphemeralKeys, v1StaticKeys } from './v1-keys.ts';
import type { SealedSenderV2AgreementCache } from './v2-agreement-cache.ts';

/** Full version byte of a v1 envelope: (required 1 << 4) | current 1. */
export const SEALED_SENDER_V1_VERSION = 0x11;

/** Inputs of `sealV1`. */
export interface SealV1Input {
  /** The content to hide (or its already-encoded USMC bytes). */
  content: SealedContent | Uint8Array;
  /** The sender's identity key pair (private 32 bytes; public raw or 0x05-prefixed). */
  senderIdentity: SealedKeyPair;
  /** The recipient's identity public key (raw or 0x05-prefixed). */
  recipientIdentityPublic: Uint8Array;
  /** Explicit ephemeral key pair (for vectors); a fresh random one when absent. */
  ephemeralKeyPair?: SealedKeyPair;
  /**
   * Reuses DH(sender, recipient) (the static layer's agreement, the same value sealed sender
   * v2's authentication tag uses) from and into this cache; the output is the same.
   */
  agreementCache?: SealedSenderV2AgreementCache;
}

/** Seals `content` for one recipient; byte-identical to libsignal for the same ephemeral key. */
export function sealV1(input: SealV1Input): Uint8Array {
  const usmc = input.content instanceof Uint8Array ? checkBytes('content', input.content) : encodeSealedContent(input.content);
  const senderPrivate = checkBytes('senderIdentity.privateKey', input.senderIdentity.privateKey, 32);
  const senderPublic = rawCurvePublicKey('senderIdentity.publicKey', input.senderIdentity.publicKey);
  const recipientPublic = rawCurvePublicKey('recipientIdentityPublic', input.recipientIdentityPublic);
  const ephemeral = input.ephemeralKeyPair ?? x25519GenerateKeyPair();
  const ephemeralPrivate = checkBytes('ephemeralKeyPair.privateKey', ephemeral.privateKey, 32);
  const ephemeralPublic = rawCurvePublicKey('ephemeralKeyPair.publicKey', ephemeral.publicKey);

  const eph = v1EphemeralKeys(agree(ephemeralPrivate, recipientPublic), recipientPublic, ephemeralPublic);
  const encryptedStatic = ctrHmacEncrypt(serializeCurvePublicKey(senderPublic), eph.cipherKey, eph.macKey);
  const staticAgreement = input.agreementCache?.agree(senderPrivate, recipientPublic) ?? agree(senderPrivate, recipientPublic);
  const stat = v1StaticKeys(staticAgreement, eph.chainKey, encryptedStatic);
  const encryptedMessage = ctrHmacEncrypt(usmc, stat.cipherKey, stat.macKey);

  const body = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .bytes(serializeCurvePublicKey(ephemeralPublic))
    .tag(2, WireType.LengthDelimited)
    .bytes(encryptedStatic)
    .tag(3, WireType.LengthDelimited)
    .bytes(encryptedMessage)
    .finish();
  return concatBytes(Uint8Array.of(SEALED_SENDER_V1_VERSION), body);
}

/** What opening a v1 envelope yields before any certificate check. */
export interface OpenedV1 {
  /** The encoded USMC. */
  usmc: Uint8Array;
  /** The sender's identity key as the static layer proved it (raw 32 bytes). */
  senderIdentityKey: Uint8Array;
}

function decodeV1Body(body: Uint8Array): { ephemeralPublic: Uint8Array; encryptedStatic: Uint8Array; encryptedMessage: Uint8Array } {
  let ephemeralPublic: Uint8Array | undefined;
  let encryptedStatic: Uint8Array | undefined;
  let encryptedMessage: Uint8Array | undefined;
  const canonical = strictWire(body, SEALED_V1_WIRE, (why) => new InvalidSealedMessageError(`v1 envelope is not a valid protobuf (${why})`));
  try {
    const r = new BinaryReader(canonical);
    while (r.pos < r.len) {
      const [field, wireType] = r.tag();
      if (field === 1 && wireType === WireType.LengthDelimited) ephemeralPublic = r.bytes();
      else if (field === 2 && wireType === WireType.LengthDelimited) encryptedStatic = r.bytes();
      else if (field === 3 && wireType === WireType.LengthDelimited) encryptedMessage = r.bytes();
      else r.skip(wireType, field);
    }
  } catch (e) {
    throw new InvalidSealedMessageError(`v1 envelope is not a valid protobuf (${(e as Error).message})`);
  }
  if (ephemeralPublic === undefined || encryptedStatic === undefined || encryptedMessage === undefined) {
    throw new InvalidSealedMessageError('v1 envelope is missing a field');
  }
  if (!isSerializedCurvePublicKey(ephemeralPublic)) {
    throw new InvalidSealedMessageError('v1 ephemeral key must be 33 bytes starting with 0x05');
  }
  return { ephemeralPublic: ephemeralPublic.subarray(1), encryptedStatic, encryptedMessage };
}

/**
 * Opens a v1 envelope with the recipient's identity key pair. Authenticates
 * both layers; does NOT yet look at the sender certificate (see `unseal.ts`).
 */
export function openV1(message: Uint8Array, recipientIdentity: SealedKeyPair): OpenedV1 {
  checkBytes('message', message);
  if (message.length === 0) throw new InvalidSealedMessageError('message is empty');
  const major = message[0]! >> 4;
  // libsignal also accepts major version 0 here, for historic reasons.
  if (major !== 0 && major !== 1) throw new UnknownSealedVersionError(major);
  const recipientPrivate = checkBytes('recipientIdentity.privateKey', recipientIdentity.privateKey, 32);
  const recipientPublic = rawCurvePublicKey('recipientIdentity.publicKey', recipientIdentity.publicKey);
  const { ephemeralPublic, encryptedStatic, encryptedMessage } = decodeV1Body(message.subarray(1));

  const eph = v1EphemeralKeys(agree(recipientPrivate, ephemeralPublic), recipientPublic, ephemeralPublic);
  const staticKeyBytes = ctrHmacDecrypt(encryptedStatic, eph.cipherKey, eph.macKey, 'sender key');
  if (!isSerializedCurvePublicKey(staticKeyBytes)) throw new SealedDecryptionError('sender key is not a Curve25519 key');
  const senderIdentityKey = staticKeyBytes.slice(1);
  const stat = v1StaticKeys(agree(recipientPrivate, senderIdentityKey), eph.chainKey, encryptedStatic);
  const usmc = ctrHmacDecrypt(encryptedMessage, stat.cipherKey, stat.macKey, 'message');
  return { usmc, senderIdentityKey };
}
