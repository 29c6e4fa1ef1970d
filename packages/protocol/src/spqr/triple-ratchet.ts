/**
 * The triple-ratchet step libsignal layers between session management and
 * the Double Ratchet, as pure functions the session cipher can call:
 *
 * - sending: one SPQR send per encrypted message, before anything else
 *   draws randomness; its key (if any) salts the message keys; its payload
 *   goes into SignalMessage field 5 (omitted when empty).
 * - receiving: SPQR recv on the stored state gives a *candidate* state and
 *   the salt; the caller verifies the message MAC with the salted keys and
 *   stores the candidate only if the MAC (and decryption) succeed, so a
 *   forged payload never changes the record.
 */
import { deriveMessageKeys, type MessageKeys } from '../ratchet/message-keys.ts';
import { DEFAULT_MAX_JUMP, DEFAULT_MAX_OOO_KEYS, DIRECTION_A2B, DIRECTION_B2A } from './chain.ts';
import type { RandomBytes } from './crypto.ts';
import { checkBytes } from '../primitives/index.ts';
import { initialState, recvState, sendState } from './ratchet.ts';
import { type PqRatchetState, VERSION_V1 } from './state.ts';
import { decodePqRatchetState, encodePqRatchetState } from './state-codec.ts';

/**
 * Decoded states by the exact bytes object they were decoded from or
 * encoded to. Sessions hand the state bytes we returned straight back on
 * the next message, so this saves decoding the (~6 KB) state on every
 * message. Safe because states are values: send/recv never modify a
 * decoded state, and nobody writes into the bytes we return.
 */
const decodedStates = new WeakMap<Uint8Array, PqRatchetState>();

function decodeState(bytes: Uint8Array): PqRatchetState {
  checkBytes('SPQR state', bytes);
  let s = decodedStates.get(bytes);
  if (s === undefined) {
    s = decodePqRatchetState(bytes);
    decodedStates.set(bytes, s);
  }
  return s;
}

function encodeState(s: PqRatchetState): Uint8Array {
  const bytes = encodePqRatchetState(s);
  decodedStates.set(bytes, s);
  return bytes;
}

/** libsignal's MAX_FORWARD_JUMPS / MAX_MESSAGE_KEYS, and u32::MAX jumps for a session with oneself. */
export const SESSION_MAX_JUMP = DEFAULT_MAX_JUMP;
export const SESSION_MAX_OOO_KEYS = DEFAULT_MAX_OOO_KEYS;
export const SELF_SESSION_MAX_JUMP = 0xffffffff;

/**
 * The SPQR state a new session starts with (libsignal ≥ 0.92: V1 required).
 * `pqrKey` is the third 32 bytes of the PQXDH output.
 */
export function initialSessionPqState(pqrKey: Uint8Array, isInitiator: boolean, selfSession = false): Uint8Array {
  return initialState({
    direction: isInitiator ? DIRECTION_A2B : DIRECTION_B2A,
    version: VERSION_V1,
    minVersion: VERSION_V1,
    authKey: pqrKey,
    maxJump: selfSession ? SELF_SESSION_MAX_JUMP : SESSION_MAX_JUMP,
    maxOooKeys: SESSION_MAX_OOO_KEYS,
  });
}

export interface TripleRatchetSend {
  /** The SPQR state to store with the advanced sending chain. */
  pqState: Uint8Array;
  /** SignalMessage field 5 (empty: leave the field out). */
  pqPayload: Uint8Array;
  keys: MessageKeys;
}

export function tripleRatchetSend(pqState: Uint8Array, messageKeySeed: Uint8Array, randomBytes: RandomBytes): TripleRatchetSend {
  const s = sendState(decodeState(pqState), randomBytes);
  return { pqState: encodeState(s.state), pqPayload: s.msg, keys: deriveMessageKeys(messageKeySeed, s.key ?? undefined) };
}

export interface TripleRatchetRecv {
  /** Store only after the MAC verified and the body decrypted. */
  candidatePqState: Uint8Array;
  keys: MessageKeys;
}

/** Throws SpqrError for a payload SPQR rejects; never modifies `pqState`. */
export function tripleRatchetRecv(pqState: Uint8Array, messageKeySeed: Uint8Array, pqPayload: Uint8Array): TripleRatchetRecv {
  checkBytes('SPQR message', pqPayload);
  const before = decodeState(pqState);
  const r = recvState(before, pqPayload);
  const candidatePqState = r.state === before ? pqState : encodeState(r.state);
  return { candidatePqState, keys: deriveMessageKeys(messageKeySeed, r.key ?? undefined) };
}
