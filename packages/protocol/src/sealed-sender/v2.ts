/**
 * Sealed sender v2: one encryption of the content for many recipients
 * (libsignal `sealed_sender_multi_recipient_encrypt` and the V2 branch of
 * `sealed_sender_decrypt_to_usmc`). The content is encrypted once with
 * AES-256-GCM-SIV under K (zero nonce: K is single-use); each recipient gets
 * only C_i (M under DH(E, R_i)) and AT_i (binding the sender's identity).
 */
import { InvalidArgumentError, InvalidSealedMessageError, SealedDecryptionError, UnknownSealedVersionError } from '../errors.ts';
import { checkBytes, concatBytes } from '../primitives/bytes.ts';
import { aes256GcmSivDecrypt, aes256GcmSivEncrypt, constantTimeEqual, randomBytes } from '../primitives/index.ts';
import { encodeSealedContent, type SealedContent } from './content.ts';
import { rawCurvePublicKey, type SealedKeyPair } from '../keys/curve-key.ts';
import { V2_AUTH_TAG_LENGTH, V2_MESSAGE_KEY_LENGTH, V2_PUBLIC_KEY_LENGTH } from './v2-layout.ts';
import {
  v2Agree,
  v2AgreementXor,
  v2AuthTag,
  v2CipherKeyFromM,
  v2EphemeralFromM,
} from './v2-keys.ts';
import { SEALED_SENDER_V2_SERVICE_ID_VERSION, encodeRecipientBlock, encodeVarint, type V2Device } from './v2-sent-message.ts';
import { serviceIdToBinary } from './service-id.ts';
import type { SealedSenderV2AgreementCache } from './v2-agreement-cache.ts';

const ZERO_NONCE = new Uint8Array(12);

/** One recipient (all of its devices share one C_i/AT_i). */
export interface V2Recipient {
  /** The recipient's service id (`uuid` or `PNI:uuid`). */
  serviceId: string;
  /** Its identity public key (raw or 0x05-prefixed). */
  identityKey: Uint8Array;
  /** The devices to deliver to, with the registration ids from their sessions. */
  devices: V2Device[];
}

/** Inputs of `sealV2MultiRecipient`. */
export interface SealV2Input {
  content: SealedContent | Uint8Array;
  senderIdentity: SealedKeyPair;
  recipients: V2Recipient[];
  /** Service ids named as deliberately excluded (no key material). */
  excludedRecipients?: string[];
  /** Explicit 32 random bytes M (for vectors); fresh randomness when absent. */
  m?: Uint8Array;
  /** Reuses DH(sender, recipient) across sends (v2-agreement-cache.ts); the output is the same. */
  agreementCache?: SealedSenderV2AgreementCache;
}

/** Builds a SentMessage (version 0x23) for upload to the relay. */
export function sealV2MultiRecipient(input: SealV2Input): Uint8Array {
  const usmc = input.content instanceof Uint8Array ? checkBytes('content', input.content) : encodeSealedContent(input.content);
  const senderPrivate = checkBytes('senderIdentity.privateKey', input.senderIdentity.privateKey, 32);
  const senderPublic = rawCurvePublicKey('senderIdentity.publicKey', input.senderIdentity.publicKey);
  if (!Array.isArray(input.recipients)) throw new InvalidArgumentError('recipients must be an array');
  const excluded = input.excludedRecipients ?? [];
  const m = input.m === undefined ? randomBytes(V2_MESSAGE_KEY_LENGTH) : checkBytes('m', input.m, V2_MESSAGE_KEY_LENGTH);

  const e = v2EphemeralFromM(m);
  const ciphertext = aes256GcmSivEncrypt(v2CipherKeyFromM(m), ZERO_NONCE, usmc);

  const parts: Uint8Array[] = [Uint8Array.of(SEALED_SENDER_V2_SERVICE_ID_VERSION), encodeVarint(input.recipients.length + excluded.length)];
  for (const r of input.recipients) {
    if (!Array.isArray(r.devices) || r.devices.length === 0) {
      throw new InvalidArgumentError(`recipient ${r.serviceId} has no devices (list it in excludedRecipients instead)`);
    }
    const recipientPublic = rawCurvePublicKey('recipient identityKey', r.identityKey);
    const c = v2AgreementXor(v2Agree(e.privateKey, recipientPublic), e.publicKey, recipientPublic, m);
    const staticAgreement = input.agreementCache?.agree(senderPrivate, recipientPublic) ?? v2Agree(senderPrivate, recipientPublic);
    const at = v2AuthTag(staticAgreement, e.publicKey, c, senderPublic, recipientPublic);
    parts.push(encodeRecipientBlock(r.serviceId, r.devices, c, at));
  }
  for (const id of excluded) parts.push(serviceIdToBinary(id), Uint8Array.of(0));
  parts.push(e.publicKey, ciphertext);
  return concatBytes(...parts);
}

/** What opening a v2 ReceivedMessage yields before the AT/certificate check. */
export interface OpenedV2 {
  usmc: Uint8Array;
  /** Checks AT against a claimed sender identity key (raw 32); true when it matches. */
  authenticates(senderIdentityKey: Uint8Array): boolean;
}

/**
 * Opens a ReceivedMessage (`0x2X ‖ C ‖ AT ‖ E ‖ ciphertext`): recovers M,
 * re-derives E and checks it, decrypts the content. The sender is proven only
 * once AT is checked against the certificate's key (`unseal.ts` does this).
 */
export function openV2(message: Uint8Array, recipientIdentity: SealedKeyPair): OpenedV2 {
  checkBytes('message', message);
  if (message.length === 0) throw new InvalidSealedMessageError('message is empty');
  if (message[0]! >> 4 !== 2) throw new UnknownSealedVersionError(message[0]! >> 4);
  const headerEnd = 1 + V2_MESSAGE_KEY_LENGTH + V2_AUTH_TAG_LENGTH + V2_PUBLIC_KEY_LENGTH;
  if (message.length < headerEnd) throw new InvalidSealedMessageError('v2 message is truncated');
  const recipientPrivate = checkBytes('recipientIdentity.privateKey', recipientIdentity.privateKey, 32);
  const recipientPublic = rawCurvePublicKey('recipientIdentity.publicKey', recipientIdentity.publicKey);
  // Copies: `authenticates` uses them after this returns, when the caller may have reused `message`.
  const c = message.slice(1, 1 + V2_MESSAGE_KEY_LENGTH);
  const at = message.slice(1 + V2_MESSAGE_KEY_LENGTH, 1 + V2_MESSAGE_KEY_LENGTH + V2_AUTH_TAG_LENGTH);
  const ephemeralPublic = message.slice(headerEnd - V2_PUBLIC_KEY_LENGTH, headerEnd);
  const ciphertext = message.subarray(headerEnd);

  const m = v2AgreementXor(v2Agree(recipientPrivate, ephemeralPublic), ephemeralPublic, recipientPublic, c);
  if (!constantTimeEqual(v2EphemeralFromM(m).publicKey, ephemeralPublic)) {
    throw new SealedDecryptionError('derived ephemeral key did not match the message');
  }
  let usmc: Uint8Array;
  try {
    usmc = aes256GcmSivDecrypt(v2CipherKeyFromM(m), ZERO_NONCE, ciphertext);
  } catch {
    throw new SealedDecryptionError('failed to decrypt the inner message');
  }
  return {
    usmc,
    authenticates(senderIdentityKey: Uint8Array): boolean {
      const sender = rawCurvePublicKey('sender identity key', senderIdentityKey);
      const expected = v2AuthTag(v2Agree(recipientPrivate, sender), ephemeralPublic, c, sender, recipientPublic);
      return constantTimeEqual(expected, at);
    },
  };
}
