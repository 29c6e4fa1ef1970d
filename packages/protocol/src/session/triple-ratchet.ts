/**
 * The triple ratchet on one session state (libsignal triple_ratchet.rs):
 * between session management (session-cipher.ts) and the Double Ratchet key
 * schedule (double-ratchet.ts) it runs SPQR, expands the message keys with
 * the SPQR key as HKDF salt, and does the MAC and AES-256-CBC.
 *
 * - encrypt: one SPQR send first (before anything else draws randomness),
 *   its payload into SignalMessage field 5, the salted keys for the body,
 *   the new SPQR state stored with the advanced sending chain.
 * - decrypt: the Double Ratchet key for the counter, SPQR recv on the
 *   stored state (a candidate state and the salt), the MAC, field 6 when
 *   present, AES; only then are the candidate SPQR state and the advanced
 *   chains returned. Any failure throws and the input state is untouched,
 *   so a forged SPQR chunk never reaches the record.
 *
 * An empty SPQR state is SPQR off (V0): no payload, no salt, which is what
 * sessions negotiated down with an old peer (and pre-SPQR records) hold.
 */
import { BadMacError, DecryptionError, InvalidMessageError } from '../errors.ts';
import { type CurveKeyPair, generateCurveKeyPair } from '../keys/curve-key.ts';
import { type SignalMessage, encodeSignalMessage, verifySignalMessageMac } from '../messages/signal-message.ts';
import { aes256CbcDecrypt, aes256CbcEncrypt, randomBytes as systemRandomBytes } from '../primitives/index.ts';
import type { MessageKeys } from '../ratchet/message-keys.ts';
import type { RandomBytes } from '../spqr/crypto.ts';
import { recv } from '../spqr/ratchet.ts';
import { tripleRatchetRecv, tripleRatchetSend } from '../spqr/triple-ratchet.ts';
import { type SessionAddresses, addressesMatch } from './addresses.ts';
import { receivingStep, sendingStep } from './double-ratchet.ts';
import type { SessionState, SkippedMessageKey } from './session-state.ts';

/** Options of `encryptWithState`. */
export interface EncryptStateOptions {
  /** SPQR's randomness (64 bytes at key generation, 32 at encapsulation); defaults to the system CSPRNG. */
  readonly randomBytes?: RandomBytes | undefined;
  /** SignalMessage field 6 (36 bytes) to write, or undefined to leave it out. */
  readonly addresses?: Uint8Array | undefined;
}

/** Encrypts on the sending chain: returns the framed SignalMessage and the advanced state. */
export function encryptWithState(
  state: SessionState,
  plaintext: Uint8Array,
  options: EncryptStateOptions = {},
): { state: SessionState; message: SignalMessage } {
  const step = sendingStep(state);
  const pq = tripleRatchetSend(state.pqRatchetState, step.seed, options.randomBytes ?? systemRandomBytes);
  const keys = pq.keys;
  const ciphertext = aes256CbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const message = encodeSignalMessage({
    messageVersion: state.version,
    macKey: keys.macKey,
    senderRatchetKey: state.senderChain!.ratchetKeyPair.publicKey,
    counter: step.counter,
    previousCounter: state.previousCounter,
    ciphertext,
    senderIdentity: state.localIdentityKey,
    receiverIdentity: state.remoteIdentityKey,
    pqRatchet: pq.pqPayload,
    addresses: options.addresses,
  });
  return { state: { ...step.state, pqRatchetState: pq.pqState }, message };
}

/** The salted keys for a Double Ratchet key; an old record's expanded key cannot take an SPQR salt. */
function saltedKeys(pqState: Uint8Array, key: SkippedMessageKey, payload: Uint8Array): { keys: MessageKeys; pqState: Uint8Array } {
  if ('seed' in key) {
    const r = tripleRatchetRecv(pqState, key.seed, payload);
    return { keys: r.keys, pqState: r.candidatePqState };
  }
  const r = recv(pqState, payload);
  if (r.key !== null) throw new InvalidMessageError('skipped message key from an old record cannot be combined with SPQR');
  return { keys: key.keys, pqState: r.state };
}

/** Options of `decryptWithState`. */
export interface DecryptStateOptions {
  /** Our and the sender's addresses, to check field 6 against when the message carries it. */
  readonly addresses?: SessionAddresses | undefined;
}

/**
 * Decrypts `message` with one state. Returns the plaintext and the updated
 * state (pending prekey cleared: the peer has answered), or throws.
 */
export function decryptWithState(
  state: SessionState,
  message: SignalMessage,
  newRatchetKeyPair: () => CurveKeyPair = () => generateCurveKeyPair(),
  options: DecryptStateOptions = {},
): { state: SessionState; plaintext: Uint8Array } {
  const step = receivingStep(state, message, newRatchetKeyPair);
  const { keys, pqState } = saltedKeys(state.pqRatchetState, step.key, message.pqRatchet);
  if (!verifySignalMessageMac(message, state.remoteIdentityKey, state.localIdentityKey, keys.macKey)) {
    throw new BadMacError('message MAC verification failed');
  }
  if (!addressesMatch(message.addresses, options.addresses)) {
    throw new BadMacError('message MAC verification failed: addresses do not match this session');
  }
  let plaintext: Uint8Array;
  try {
    plaintext = aes256CbcDecrypt(keys.cipherKey, keys.iv, message.ciphertext);
  } catch (e) {
    if (e instanceof DecryptionError) throw new InvalidMessageError('failed to decrypt message body');
    throw e;
  }
  return { state: { ...step.state, unacknowledged: undefined, pqRatchetState: pqState }, plaintext };
}
