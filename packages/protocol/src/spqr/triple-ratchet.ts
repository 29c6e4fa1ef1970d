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
import { initialState, recv, send } from './ratchet.ts';
import { VERSION_V1 } from './state.ts';

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
  const s = send(pqState, randomBytes);
  return { pqState: s.state, pqPayload: s.msg, keys: deriveMessageKeys(messageKeySeed, s.key ?? undefined) };
}

export interface TripleRatchetRecv {
  /** Store only after the MAC verified and the body decrypted. */
  candidatePqState: Uint8Array;
  keys: MessageKeys;
}

/** Throws SpqrError for a payload SPQR rejects; never modifies `pqState`. */
export function tripleRatchetRecv(pqState: Uint8Array, messageKeySeed: Uint8Array, pqPayload: Uint8Array): TripleRatchetRecv {
  const r = recv(pqState, pqPayload);
  return { candidatePqState: r.state, keys: deriveMessageKeys(messageKeySeed, r.key ?? undefined) };
}
