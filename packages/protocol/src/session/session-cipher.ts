/**
 * The functional core of 1:1 messaging: `(record, input) -> (record, output)`.
 *
 * Nothing here mutates its input record; a failed decrypt throws a typed
 * error and the caller still holds the untouched record (its serialized
 * bytes are identical). Randomness (a new ratchet key on a DH step) can be
 * supplied explicitly for vectors.
 *
 * What this layer does not do: it stores nothing (the caller persists the
 * returned record, and marks used prekeys, in one transaction), makes no
 * trust decision of its own (the caller's `isTrusted` does), and never
 * fetches bundles or prekeys (they are passed in).
 */
import { InvalidArgumentError, NoSessionError, UntrustedIdentityError } from '../errors.ts';
import { type CurveKeyPair, curveKeyPairFromPrivate, generateCurveKeyPair } from '../keys/curve-key.ts';
import { decodePreKeySignalMessage, encodePreKeySignalMessage } from '../messages/prekey-signal-message.ts';
import { decodeSignalMessage } from '../messages/signal-message.ts';
import type { RandomBytes } from '../spqr/crypto.ts';
import { type SessionAddresses, serializeAddresses } from './addresses.ts';
import { encryptWithState } from './triple-ratchet.ts';
import { decryptWithRecord } from './record-decrypt.ts';
import { type PreKeyLookups, type PreKeysUsed, processPreKeyMessage } from './session-builder.ts';
import { type SessionRecord, isStale } from './session-record.ts';

/** libsignal's numeric ciphertext message types. */
export const CIPHERTEXT_MESSAGE_TYPE = { whisper: 2, prekey: 3 } as const;

/** An encrypted 1:1 message ready for the wire. */
export interface CiphertextMessage {
  /** 'prekey' (libsignal type 3) until the peer answers, then 'whisper' (type 2). */
  readonly type: 'prekey' | 'whisper';
  readonly serialized: Uint8Array;
}

/** Inputs of `encryptMessage`. */
export interface EncryptMessageInput {
  readonly record: SessionRecord;
  readonly plaintext: Uint8Array;
  /** Caller's trust decision on the session's remote identity key. */
  readonly isTrusted?: ((identityKey: Uint8Array) => boolean) | undefined;
  /** Milliseconds since the epoch (for the 30-day unacknowledged-session limit). */
  readonly now?: number | undefined;
  /** SPQR's randomness source (defaults to the system CSPRNG). */
  readonly randomBytes?: RandomBytes | undefined;
  /** Our and the peer's addresses: PreKey messages then carry them (SignalMessage field 6), as libsignal's do. */
  readonly addresses?: SessionAddresses | undefined;
}

/**
 * Encrypts with the current session. Throws NoSessionError when there is no
 * session able to send (none, or an initiator's session unanswered for more
 * than 30 days), UntrustedIdentityError if the caller refuses the peer.
 */
export function encryptMessage(input: EncryptMessageInput): { record: SessionRecord; message: CiphertextMessage } {
  const { record } = input;
  if (!(input.plaintext instanceof Uint8Array)) throw new InvalidArgumentError('plaintext must be a Uint8Array');
  const state = record?.current;
  if (state === undefined || state.senderChain === undefined) throw new NoSessionError('no session to encrypt with');
  if (input.isTrusted !== undefined && !input.isTrusted(state.remoteIdentityKey.slice())) {
    throw new UntrustedIdentityError(state.remoteIdentityKey, 'untrusted remote identity key');
  }
  const pending = state.unacknowledged;
  if (pending !== undefined && isStale(pending.timestamp, input.now ?? Date.now())) {
    throw new NoSessionError('unacknowledged session is older than 30 days; fetch a new prekey bundle');
  }
  const addresses =
    pending !== undefined && input.addresses !== undefined
      ? serializeAddresses(input.addresses.local, input.addresses.remote)
      : undefined;
  const { state: next, message } = encryptWithState(state, input.plaintext, { randomBytes: input.randomBytes, addresses });
  let out: CiphertextMessage;
  if (pending !== undefined) {
    const kyber = pending.kyberPreKey;
    const prekeyMessage = encodePreKeySignalMessage({
      messageVersion: state.version,
      registrationId: state.localRegistrationId,
      preKeyId: pending.preKeyId,
      signedPreKeyId: pending.signedPreKeyId,
      kyberPreKeyId: kyber?.preKeyId,
      kyberCiphertext: kyber?.ciphertext,
      baseKey: pending.baseKey,
      identityKey: state.localIdentityKey,
      message,
    });
    out = { type: 'prekey', serialized: prekeyMessage.serialized };
  } else {
    out = { type: 'whisper', serialized: message.serialized };
  }
  return { record: { current: next, previous: record.previous }, message: out };
}

/** Random seam shared by both decrypt functions. */
function ratchetKeySource(ratchetKeyPrivate: Uint8Array | undefined): () => CurveKeyPair {
  return ratchetKeyPrivate === undefined ? () => generateCurveKeyPair() : () => curveKeyPairFromPrivate(ratchetKeyPrivate);
}

/** Inputs of `decryptMessage`. */
export interface DecryptMessageInput {
  readonly record: SessionRecord | undefined;
  /** The serialized SignalMessage (libsignal type 2, "whisper"). */
  readonly message: Uint8Array;
  /** Caller's trust decision on the remote identity key, checked after decryption as libsignal does. */
  readonly isTrusted?: ((identityKey: Uint8Array) => boolean) | undefined;
  /** 32-byte private key for the new ratchet key, used if the message starts a new chain. */
  readonly ratchetKeyPrivate?: Uint8Array | undefined;
  /** Our and the sender's addresses: a message carrying field 6 must name them, as libsignal checks. */
  readonly addresses?: SessionAddresses | undefined;
}

/** Decrypts a SignalMessage ("whisper"). Throws NoSessionError without any session. */
export function decryptMessage(input: DecryptMessageInput): {
  record: SessionRecord;
  plaintext: Uint8Array;
  remoteIdentity: Uint8Array;
} {
  const parsed = decodeSignalMessage(input.message);
  const record = input.record;
  if (record === undefined || (record.current === undefined && record.previous.length === 0)) {
    throw new NoSessionError('no session with this peer');
  }
  const result = decryptWithRecord(record, parsed, false, ratchetKeySource(input.ratchetKeyPrivate), input.addresses);
  // A copy: the record keeps its own (issue 11 item 12).
  const remoteIdentity = result.record.current!.remoteIdentityKey.slice();
  if (input.isTrusted !== undefined && !input.isTrusted(remoteIdentity)) {
    throw new UntrustedIdentityError(remoteIdentity, 'untrusted remote identity key');
  }
  return { record: result.record, plaintext: result.plaintext, remoteIdentity };
}

/** Inputs of `decryptPreKeyMessage`. */
export interface DecryptPreKeyMessageInput extends PreKeyLookups {
  /** The record for this peer, if any. */
  readonly record?: SessionRecord | undefined;
  readonly ourIdentity: CurveKeyPair;
  readonly ourRegistrationId: number;
  /** The serialized PreKeySignalMessage (libsignal type 3). */
  readonly message: Uint8Array;
  /** Caller's trust decision on the sender's identity key (checked first, as libsignal does). */
  readonly isTrusted?: ((identityKey: Uint8Array) => boolean) | undefined;
  /** 32-byte private key for our new ratchet key (the responder ratchets on its first decrypt). */
  readonly ratchetKeyPrivate?: Uint8Array | undefined;
  /** Our and the sender's addresses: a message carrying field 6 must name them, as libsignal checks. */
  readonly addresses?: SessionAddresses | undefined;
}

/** Result of `decryptPreKeyMessage`. */
export interface DecryptPreKeyMessageResult {
  readonly record: SessionRecord;
  readonly plaintext: Uint8Array;
  /** The sender's identity key (0x05-prefixed): the caller saves it. */
  readonly remoteIdentity: Uint8Array;
  readonly remoteRegistrationId: number;
  /** Set when this message created the session: the caller removes the one-time prekey, marks the Kyber one used. */
  readonly preKeysUsed: PreKeysUsed | undefined;
  /** Shorthands for `preKeysUsed`. */
  readonly usedPreKeyId: number | undefined;
  readonly usedKyberPreKeyId: number | undefined;
}

/**
 * Decrypts a PreKeySignalMessage: sets up (or finds) the responder session
 * and decrypts its inner SignalMessage with it.
 */
export function decryptPreKeyMessage(input: DecryptPreKeyMessageInput): DecryptPreKeyMessageResult {
  const parsed = decodePreKeySignalMessage(input.message);
  if (input.isTrusted !== undefined && !input.isTrusted(parsed.identityKey.slice())) {
    throw new UntrustedIdentityError(parsed.identityKey, 'untrusted identity key in PreKeySignalMessage');
  }
  const start = input.record ?? { current: undefined, previous: [] };
  const processed = processPreKeyMessage(start, parsed, input.ourIdentity, input.ourRegistrationId, input);
  const result = decryptWithRecord(processed.record, parsed.message, true, ratchetKeySource(input.ratchetKeyPrivate), input.addresses);
  const used = processed.preKeysUsed;
  return {
    record: result.record,
    plaintext: result.plaintext,
    // Copies: the record keeps the message's identity and base keys (issue 11 item 12).
    remoteIdentity: parsed.identityKey.slice(),
    remoteRegistrationId: parsed.registrationId,
    preKeysUsed: used === undefined ? undefined : { ...used, baseKey: used.baseKey.slice() },
    usedPreKeyId: processed.preKeysUsed?.preKeyId,
    usedKyberPreKeyId: processed.preKeysUsed?.kyberPreKeyId,
  };
}
