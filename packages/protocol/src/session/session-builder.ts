/**
 * Starting sessions (libsignal session.rs): as initiator from a prekey
 * bundle, and as responder from a received PreKeySignalMessage.
 *
 * What this layer does not do: it does not remove used prekeys (it reports
 * them in `PreKeysUsed` for the caller's store, which also detects replays
 * of a last-resort Kyber prekey), and it does not decrypt the message body
 * (session-cipher.ts does, on the state this returns).
 */
import {
  InvalidArgumentError,
  InvalidKeyError,
  InvalidMessageError,
  InvalidRecordError,
  InvalidSignatureError,
  UnknownPreKeyError,
  UntrustedIdentityError,
} from '../errors.ts';
import { rethrowAs } from '../error-mapping.ts';
import { type CurveKeyPair, checkCurvePublicKey, curveKeyPairFromPrivate, generateCurveKeyPair } from '../keys/curve-key.ts';
import { verifyIdentitySignature } from '../keys/identity-key.ts';
import { kyberPublicKeyBytes } from '../keys/kem-key.ts';
import type { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from '../keys/prekey-records.ts';
import type { PreKeySignalMessage } from '../messages/prekey-signal-message.ts';
import { CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION } from '../ratchet/constants.ts';
import { initializeAliceSession, initializeBobSession } from './initialize.ts';
import type { PreKeyBundle } from './prekey-bundle.ts';
import { type SessionRecord, emptySessionRecord, previousSessionState, promoteArchivedState, promoteState } from './session-record.ts';
import { equalBytes } from '../primitives/bytes.ts';
import { peekSessionState } from './state-peek.ts';

/** Inputs of `initiateSession`. Optional randomness seams default to fresh randomness. */
export interface InitiateSessionInput {
  /** The existing record for this peer, if any (its current state is archived). */
  readonly record?: SessionRecord | undefined;
  readonly ourIdentity: CurveKeyPair;
  readonly ourRegistrationId: number;
  readonly bundle: PreKeyBundle;
  /** Caller's trust decision on the bundle's identity key; refusing throws UntrustedIdentityError. */
  readonly isTrusted?: ((identityKey: Uint8Array) => boolean) | undefined;
  /** 32-byte private key for the PQXDH base key (EK_A). */
  readonly baseKeyPrivate?: Uint8Array | undefined;
  /** 32-byte Kyber1024 encapsulation randomness. */
  readonly kemEncapsulationSeed?: Uint8Array | undefined;
  /** 32-byte private key for our first sending ratchet key. */
  readonly ratchetKeyPrivate?: Uint8Array | undefined;
  /** Milliseconds since the epoch (recorded for the 30-day unacknowledged limit). */
  readonly now?: number | undefined;
  /** false: start the session without SPQR (V0; pre-SPQR vectors). Default: SPQR V1, required of the peer. */
  readonly spqr?: boolean | undefined;
}

/**
 * Processes a peer's prekey bundle (libsignal `process_prekey_bundle`):
 * checks trust and both signatures, runs PQXDH as initiator and makes the
 * new session current. Until the peer answers, every message this session
 * sends is a PreKeySignalMessage.
 */
export function initiateSession(input: InitiateSessionInput): { record: SessionRecord } {
  const { bundle, ourIdentity } = input;
  if (bundle === null || typeof bundle !== 'object') throw new InvalidArgumentError('bundle is required');
  checkCurvePublicKey(bundle.identityKey, 'bundle identity key');
  if (input.isTrusted !== undefined && !input.isTrusted(bundle.identityKey)) {
    throw new UntrustedIdentityError(bundle.identityKey, 'untrusted identity key in prekey bundle');
  }
  checkCurvePublicKey(bundle.signedPreKeyPublic, 'bundle signed prekey');
  kyberPublicKeyBytes(bundle.kyberPreKeyPublic);
  if (!verifyIdentitySignature(bundle.identityKey, bundle.signedPreKeyPublic, bundle.signedPreKeySignature)) {
    throw new InvalidSignatureError('signed prekey signature does not verify');
  }
  if (!verifyIdentitySignature(bundle.identityKey, bundle.kyberPreKeyPublic, bundle.kyberPreKeySignature)) {
    throw new InvalidSignatureError('Kyber prekey signature does not verify');
  }
  const hasOneTime = bundle.preKeyPublic !== undefined && bundle.preKeyPublic !== null;
  if (hasOneTime) checkCurvePublicKey(bundle.preKeyPublic!, 'bundle one-time prekey');
  if (hasOneTime !== (bundle.preKeyId !== undefined && bundle.preKeyId !== null)) {
    throw new InvalidArgumentError('bundle one-time prekey id and public key must both be present or both absent');
  }
  const baseKeyPair = input.baseKeyPrivate === undefined ? generateCurveKeyPair() : curveKeyPairFromPrivate(input.baseKeyPrivate);
  const ratchetKeyPair =
    input.ratchetKeyPrivate === undefined ? generateCurveKeyPair() : curveKeyPairFromPrivate(input.ratchetKeyPrivate);
  const { state, kyberCiphertext } = initializeAliceSession({
    ourIdentity,
    ourBaseKeyPair: baseKeyPair,
    theirIdentityKey: bundle.identityKey,
    theirSignedPreKey: bundle.signedPreKeyPublic,
    theirOneTimePreKey: hasOneTime ? bundle.preKeyPublic! : undefined,
    theirRatchetKey: bundle.signedPreKeyPublic,
    theirKyberPreKey: bundle.kyberPreKeyPublic,
    kyberEncapsulationSeed: input.kemEncapsulationSeed,
    sendingRatchetKeyPair: ratchetKeyPair,
    spqr: input.spqr,
  });
  const now = input.now ?? Date.now();
  const session = {
    ...state,
    unacknowledged: {
      preKeyId: hasOneTime ? bundle.preKeyId! : undefined,
      signedPreKeyId: bundle.signedPreKeyId,
      baseKey: baseKeyPair.publicKey,
      timestamp: Math.floor(now / 1000),
      kyberPreKey: { preKeyId: bundle.kyberPreKeyId, ciphertext: kyberCiphertext },
    },
    localRegistrationId: input.ourRegistrationId,
    remoteRegistrationId: bundle.registrationId,
  };
  return { record: promoteState(input.record ?? emptySessionRecord(), session) };
}

/** Prekeys a PreKeySignalMessage consumed (the caller deletes one-time ones). */
export interface PreKeysUsed {
  readonly preKeyId: number | undefined;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number | undefined;
  /**
   * The initiator's base key (0x05-prefixed). With `signedPreKeyId` it lets
   * the caller refuse a replayed use of a last-resort Kyber prekey, as
   * libsignal's `mark_kyber_pre_key_used` does.
   */
  readonly baseKey: Uint8Array;
}

/** Prekey lookups for the responder; return undefined for an unknown id. */
export interface PreKeyLookups {
  readonly loadSignedPreKey: (id: number) => SignedPreKeyRecord | undefined;
  readonly loadPreKey: (id: number) => PreKeyRecord | undefined;
  readonly loadKyberPreKey: (id: number) => KyberPreKeyRecord | undefined;
  /** false: a session this message creates runs without SPQR (V0; pre-SPQR vectors). Default: SPQR V1, required. */
  readonly spqr?: boolean | undefined;
}

/**
 * Responder side of `process_prekey`: if a state for this base key exists
 * (a repeated PreKeySignalMessage) make it current; otherwise run PQXDH as
 * responder and make the new state current. Returns the prekeys used when a
 * new session was built.
 */
export function processPreKeyMessage(
  record: SessionRecord,
  message: PreKeySignalMessage,
  ourIdentity: CurveKeyPair,
  ourRegistrationId: number,
  lookups: PreKeyLookups,
): { record: SessionRecord; preKeysUsed: PreKeysUsed | undefined } {
  const matchesMessage = (version: number, aliceBaseKey: Uint8Array) =>
    version === message.messageVersion && equalBytes(aliceBaseKey, message.baseKey);
  if (record.current !== undefined && matchesMessage(record.current.version, record.current.aliceBaseKey)) {
    return { record, preKeysUsed: undefined };
  }
  // Archived states are matched on a cheap peek (no full decode of up to 40 states per
  // message); only the match is decoded. One that does not decode is skipped, as in decrypt.
  for (let i = 0; i < record.previous.length; i++) {
    const peek = peekSessionState(record.previous[i]!);
    if (peek === undefined || !matchesMessage(peek.version, peek.aliceBaseKey)) continue;
    let previous;
    try {
      previous = previousSessionState(record, i);
    } catch (e) {
      if (e instanceof InvalidRecordError) continue;
      throw e;
    }
    if (matchesMessage(previous.version, previous.aliceBaseKey)) {
      return { record: promoteArchivedState(record, i, previous), preKeysUsed: undefined };
    }
  }
  if (message.messageVersion === CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION) {
    throw new InvalidMessageError('PreKeySignalMessage: X3DH (version 3) is no longer supported');
  }
  const signed = lookups.loadSignedPreKey(message.signedPreKeyId);
  if (signed === undefined) throw new UnknownPreKeyError('signed', message.signedPreKeyId);
  if (message.kyberPreKeyId === undefined || message.kyberCiphertext === undefined) {
    throw new InvalidMessageError('PreKeySignalMessage: missing Kyber prekey');
  }
  const kyber = lookups.loadKyberPreKey(message.kyberPreKeyId);
  if (kyber === undefined) throw new UnknownPreKeyError('kyber', message.kyberPreKeyId);
  let oneTime: PreKeyRecord | undefined;
  if (message.preKeyId !== undefined) {
    oneTime = lookups.loadPreKey(message.preKeyId);
    if (oneTime === undefined) throw new UnknownPreKeyError('one-time', message.preKeyId);
  }
  let state;
  try {
    state = initializeBobSession({
      ourIdentity,
      ourSignedPreKeyPair: signed.keyPair,
      ourOneTimePreKeyPair: oneTime?.keyPair,
      ourRatchetKeyPair: signed.keyPair,
      ourKyberSecretKey: kyber.keyPair.secretKey,
      theirIdentityKey: message.identityKey,
      theirBaseKey: message.baseKey,
      theirKyberCiphertext: message.kyberCiphertext,
      spqr: lookups.spqr,
    });
  } catch (e) {
    // A malformed key or ciphertext in the message is a bad message, not a bad argument.
    rethrowAs(e, InvalidKeyError, (message) => new InvalidMessageError(`PreKeySignalMessage: ${message}`));
  }
  const session = { ...state, localRegistrationId: ourRegistrationId, remoteRegistrationId: message.registrationId };
  return {
    record: promoteState(record, session),
    preKeysUsed: {
      preKeyId: message.preKeyId,
      signedPreKeyId: message.signedPreKeyId,
      kyberPreKeyId: message.kyberPreKeyId,
      baseKey: message.baseKey,
    },
  };
}
