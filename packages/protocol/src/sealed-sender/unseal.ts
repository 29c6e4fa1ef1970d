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
 *    caller already has on record for that sender, so a valid certificate
 *    for a *different* key is refused.
 *
 * `unseal` does all of it in one call. A caller that must look the sender's
 * identity up asynchronously first calls `unsealToContent` (steps 1, giving
 * the claimed sender), reads it, then `validateUnsealed` (steps 2 and 3).
 * Either may take a `ServerCertificateCache` to skip re-verifying a server
 * certificate already validated against the same root.
 */
import { InvalidArgumentError, InvalidCertificateError, InvalidSealedMessageError, SealedDecryptionError, UnknownSealedVersionError } from '../errors.ts';
import { checkBytes } from '../primitives/bytes.ts';
import { decodeSealedContent, type SealedContent } from './content.ts';
import { parseSenderCertificate, senderCertificateIsValid, type SenderCertificate, type ServerCertificate } from './certificates.ts';
import type { ServerCertificateCache } from './server-certificate-cache.ts';
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

/**
 * A valid certificate that names another identity key than the one the
 * caller has on record for that sender (`expectedSenderIdentityKey`). Still
 * `INVALID_CERTIFICATE`; the subclass lets a caller tell "changed identity"
 * from "bad certificate".
 */
export class SenderIdentityMismatchError extends InvalidCertificateError {
  /** The identity key the certificate names (33 bytes, public data). */
  readonly identityKey: Uint8Array;
  constructor(identityKey: Uint8Array) {
    super('sender certificate identity key differs from the identity on record for this sender');
    this.identityKey = identityKey;
  }
}

/** What `validateUnsealed` (and so `unseal`) checks a bound sender certificate against. */
export interface UnsealValidation {
  /** Trust root public key(s) the client pins (raw 32 or 0x05-prefixed 33 bytes). */
  trustRoots: Uint8Array | readonly Uint8Array[];
  /** Validation time, ms since epoch. */
  now: number;
  /**
   * The identity key already on record for the claimed sender, if any: the
   * certificate must name exactly this key (else `SenderIdentityMismatchError`).
   * Either the key itself (e.g. read between `unsealToContent` and
   * `validateUnsealed`) or a function of the claimed sender.
   */
  expectedSenderIdentityKey?: Uint8Array | ((sender: SenderCertificate) => Uint8Array | undefined) | undefined;
  /** Server certificates that sender certificates may name by id. */
  knownServerCertificates?: ReadonlyMap<number, ServerCertificate>;
  /** Server certificates already validated (the caller's cache); saves one XEdDSA verify per message. */
  serverCertificateCache?: ServerCertificateCache;
  /** This device, to refuse envelopes that claim to come from itself (libsignal SealedSenderSelfSend). */
  local?: { uuid: string; deviceId: number };
}

/** Inputs of `unseal`. */
export interface UnsealInput extends UnsealValidation {
  message: Uint8Array;
  recipientIdentity: SealedKeyPair;
}

/** Checks `now` and the trust roots (before any decrypting); returns the roots as raw keys. */
function checkedRoots(input: UnsealValidation): Uint8Array[] {
  if (typeof input.now !== 'number' || !Number.isFinite(input.now)) throw new InvalidArgumentError('now must be a finite number (ms)');
  const given: readonly Uint8Array[] = input.trustRoots instanceof Uint8Array ? [input.trustRoots] : input.trustRoots;
  const roots = given.map((r) => rawCurvePublicKey('trust root', r));
  if (roots.length === 0) throw new InvalidArgumentError('at least one trust root is required');
  return roots;
}

/**
 * The second half of `unseal`, for callers that look the sender's identity
 * up in between: validates the (already bound) sender certificate of
 * `unsealed` against the trust root(s) and `now`, refuses a claim to be this
 * very device, and (optionally) requires the identity on record. Returns
 * `unsealed`; throws `INVALID_CERTIFICATE` saying why not. Pass only what
 * `unsealToContent` / `unsealV1` / `unsealV2` returned: they bind the
 * certificate to the sealing key, this does not.
 */
export function validateUnsealed(unsealed: UnsealedContent, input: UnsealValidation): UnsealedContent {
  const roots = checkedRoots(input);
  const { sender } = unsealed;
  const options = {
    ...(input.knownServerCertificates === undefined ? {} : { knownServerCertificates: input.knownServerCertificates }),
    ...(input.serverCertificateCache === undefined ? {} : { serverCertificateCache: input.serverCertificateCache }),
  };
  if (!senderCertificateIsValid(sender, roots, input.now, options)) {
    throw new InvalidCertificateError(input.now > sender.expires ? 'sender certificate expired' : 'sender certificate is not signed by a trusted server');
  }
  if (input.local !== undefined && sender.senderUuid.toLowerCase() === input.local.uuid.toLowerCase() && sender.senderDeviceId === input.local.deviceId) {
    throw new InvalidCertificateError('envelope claims to come from this very device');
  }
  const wanted = input.expectedSenderIdentityKey;
  const expected = typeof wanted === 'function' ? wanted(sender) : wanted;
  if (expected !== undefined && !sameCurvePublicKey(expected, sender.identityKey)) throw new SenderIdentityMismatchError(sender.identityKey);
  return unsealed;
}

/**
 * Full unseal: decrypt, bind the certificate to the sender's key, validate
 * it against the trust root(s) and `now`, and (optionally) against the
 * identity on record. Throws typed errors; never returns an unproven sender.
 * (`unsealToContent` then `validateUnsealed` is the same in two steps.)
 */
export function unseal(input: UnsealInput): UnsealedContent {
  const roots = checkedRoots(input);
  return validateUnsealed(unsealToContent(input.message, input.recipientIdentity), { ...input, trustRoots: roots });
}
