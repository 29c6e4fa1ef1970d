/**
 * Unsealing with the sender proven: decrypt (v1 or v2), then bind the
 * sender certificate to the cryptographic sender, then validate the
 * certificate.
 *
 * 1. v1: the static layer decrypts to the sender's identity key S; the
 *    certificate's identity key must equal S (libsignal: "sender certificate
 *    key does not match message key").
 *    v2: AT must verify under the certificate's identity key (libsignal:
 *    "sender certificate key does not match authentication tag").
 * 2. The certificate must chain to a trusted root and be unexpired at `now`
 *    (libsignal `SenderCertificate::validate`).
 * 3. Optionally, the certificate's identity key must equal the identity the
 *    caller already has on record for that sender (its session), so a valid
 *    certificate for a *different* key is refused.
 */
import { InvalidArgumentError, InvalidCertificateError, InvalidSealedMessageError, SealedDecryptionError, UnknownSealedVersionError } from '../errors.ts';
import { checkBytes } from '../primitives/bytes.ts';
import { decodeSealedContent, type SealedContent } from './content.ts';
import { parseSenderCertificate, senderCertificateIsValid, type SenderCertificate, type ServerCertificate } from './certificates.ts';
import { rawCurvePublicKey, sameCurvePublicKey, type SealedKeyPair } from '../keys/curve-key.ts';
import { openV1 } from './v1.ts';
import { openV2 } from './v2.ts';

/** A decrypted envelope whose sender certificate is bound to the sender's key. */
export interface UnsealedContent {
  /** 1 or 2. */
  version: 1 | 2;
  /** The decoded content. */
  content: SealedContent;
  /** The encoded USMC exactly as it was sealed. */
  usmc: Uint8Array;
  /** The parsed sender certificate, bound to the sender's key (validated only by `unseal`). */
  sender: SenderCertificate;
}

function bindV1(message: Uint8Array, recipientIdentity: SealedKeyPair): UnsealedContent {
  const opened = openV1(message, recipientIdentity);
  const content = decodeSealedContent(opened.usmc);
  const sender = parseSenderCertificate(content.senderCertificate);
  if (!sameCurvePublicKey(sender.identityKey, opened.senderIdentityKey)) {
    throw new SealedDecryptionError('sender certificate key does not match the message key');
  }
  return { version: 1, content, usmc: opened.usmc, sender };
}

function bindV2(message: Uint8Array, recipientIdentity: SealedKeyPair): UnsealedContent {
  const opened = openV2(message, recipientIdentity);
  const content = decodeSealedContent(opened.usmc);
  const sender = parseSenderCertificate(content.senderCertificate);
  if (!opened.authenticates(sender.identityKey)) {
    throw new SealedDecryptionError('sender certificate key does not match the authentication tag');
  }
  return { version: 2, content, usmc: opened.usmc, sender };
}

/**
 * Decrypts a sealed sender v1 envelope and binds its certificate to the
 * sender's static key (libsignal `sealedSenderDecryptToUsmc` for v1).
 */
export function unsealV1(message: Uint8Array, recipientIdentity: SealedKeyPair): UnsealedContent {
  return bindV1(message, recipientIdentity);
}

/**
 * Decrypts a sealed sender v2 ReceivedMessage (what the relay delivers) and
 * binds its certificate to the authentication tag.
 */
export function unsealV2(message: Uint8Array, recipientIdentity: SealedKeyPair): UnsealedContent {
  return bindV2(message, recipientIdentity);
}

/** Decrypts either version, by the version byte (libsignal `sealedSenderDecryptToUsmc`). */
export function unsealToContent(message: Uint8Array, recipientIdentity: SealedKeyPair): UnsealedContent {
  checkBytes('message', message);
  if (message.length === 0) throw new InvalidSealedMessageError('message is empty');
  const major = message[0]! >> 4;
  if (major === 0 || major === 1) return bindV1(message, recipientIdentity);
  if (major === 2) return bindV2(message, recipientIdentity);
  throw new UnknownSealedVersionError(major);
}

/** Inputs of `unseal`. */
export interface UnsealInput {
  message: Uint8Array;
  recipientIdentity: SealedKeyPair;
  /** Trust root public key(s) the client pins (raw 32 or 0x05-prefixed 33 bytes). */
  trustRoots: Uint8Array | Uint8Array[];
  /** Validation time, ms since epoch. */
  now: number;
  /**
   * The identity key already on record for the claimed sender (e.g. from the
   * session store), if any: the certificate must name exactly this key.
   */
  expectedSenderIdentityKey?: (sender: SenderCertificate) => Uint8Array | undefined;
  /** Server certificates that sender certificates may name by id. */
  knownServerCertificates?: ReadonlyMap<number, ServerCertificate>;
  /** This device, to refuse envelopes that claim to come from itself (libsignal SealedSenderSelfSend). */
  local?: { uuid: string; deviceId: number };
}

/**
 * Full unseal: decrypt, bind the certificate to the sender's key, validate
 * it against the trust root(s) and `now`, and (optionally) against the
 * identity on record. Throws typed errors; never returns an unproven sender.
 */
export function unseal(input: UnsealInput): UnsealedContent {
  if (typeof input.now !== 'number' || !Number.isFinite(input.now)) throw new InvalidArgumentError('now must be a finite number (ms)');
  const roots = (Array.isArray(input.trustRoots) ? input.trustRoots : [input.trustRoots]).map((r) => rawCurvePublicKey('trust root', r));
  if (roots.length === 0) throw new InvalidArgumentError('at least one trust root is required');
  const result = unsealToContent(input.message, input.recipientIdentity);
  const { sender } = result;
  const options = input.knownServerCertificates === undefined ? {} : { knownServerCertificates: input.knownServerCertificates };
  if (!senderCertificateIsValid(sender, roots, input.now, options)) {
    throw new InvalidCertificateError(input.now > sender.expires ? 'sender certificate expired' : 'sender certificate is not signed by a trusted server');
  }
  if (input.local !== undefined && sender.senderUuid.toLowerCase() === input.local.uuid.toLowerCase() && sender.senderDeviceId === input.local.deviceId) {
    throw new InvalidCertificateError('envelope claims to come from this very device');
  }
  const expected = input.expectedSenderIdentityKey?.(sender);
  if (expected !== undefined && !sameCurvePublicKey(expected, sender.identityKey)) {
    throw new InvalidCertificateError('sender certificate identity key differs from the identity on record for this sender');
  }
  return result;
}
