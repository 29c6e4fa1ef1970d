/**
 * One Double Ratchet session state, as an immutable value. Mirrors
 * libsignal's `SessionStructure` field for field (see session-codec.ts for
 * the mapping); every update returns a new object and never touches the
 * old one, so a failed decrypt can simply drop its work-in-progress state.
 *
 * Notation (Signal's spec): root key R, chain keys C_{i,j}; Alice is the
 * initiator (sent the PreKeySignalMessage), Bob the responder.
 */
import type { CurveKeyPair } from '../keys/curve-key.ts';
import { equalBytes } from '../primitives/bytes.ts';
import type { ChainKey } from '../ratchet/chain-key.ts';
import type { MessageKeys } from '../ratchet/message-keys.ts';

/** Our sending chain: our current ratchet key pair and C_{i,j}. */
export interface SenderChain {
  readonly ratchetKeyPair: CurveKeyPair;
  readonly chainKey: ChainKey;
}

/**
 * A key kept for a skipped message: the message-key seed (current layout),
 * or the expanded keys (older libsignal records).
 */
export type SkippedMessageKey =
  | { readonly index: number; readonly seed: Uint8Array }
  | { readonly index: number; readonly keys: MessageKeys };

/** A chain of the peer's: their ratchet public key, our position in it, skipped keys (newest first). */
export interface ReceiverChain {
  readonly senderRatchetKey: Uint8Array;
  readonly chainKey: ChainKey;
  readonly messageKeys: readonly SkippedMessageKey[];
}

/** The Kyber part of what an unacknowledged initiator repeats. */
export interface UnacknowledgedKyberPreKey {
  readonly preKeyId: number;
  /** Serialized (0x08-prefixed) Kyber ciphertext. */
  readonly ciphertext: Uint8Array;
}

/**
 * What an unacknowledged initiator repeats in every PreKeySignalMessage
 * until the peer's first reply (libsignal's `pending_pre_key` and
 * `pending_kyber_pre_key`, which are always set and cleared together).
 */
export interface UnacknowledgedPreKey {
  readonly preKeyId: number | undefined;
  readonly signedPreKeyId: number;
  /** Our base key, 0x05-prefixed. */
  readonly baseKey: Uint8Array;
  /** Session creation time, seconds since the epoch. */
  readonly timestamp: number;
  /** The Kyber prekey used; absent only in pre-Kyber (version 3) records. */
  readonly kyberPreKey: UnacknowledgedKyberPreKey | undefined;
}

/** A whole session state. */
export interface SessionState {
  readonly version: number;
  /** Our identity key, 0x05-prefixed. */
  readonly localIdentityKey: Uint8Array;
  /** The peer's identity key, 0x05-prefixed. */
  readonly remoteIdentityKey: Uint8Array;
  readonly rootKey: Uint8Array;
  readonly previousCounter: number;
  readonly senderChain: SenderChain | undefined;
  /** Oldest first; the oldest is dropped past MAX_RECEIVER_CHAINS. */
  readonly receiverChains: readonly ReceiverChain[];
  /** Set while we are an initiator waiting for the first reply; undefined once acknowledged. */
  readonly unacknowledged?: UnacknowledgedPreKey | undefined;
  readonly remoteRegistrationId: number;
  readonly localRegistrationId: number;
  /** The initiator's base key, which names the session across both sides. */
  readonly aliceBaseKey: Uint8Array;
  /** SPQR state bytes (libsignal's PqRatchetState); empty when SPQR is off (V0). */
  readonly pqRatchetState: Uint8Array;
}

/** Index of the receiver chain for `senderRatchetKey`, or -1. */
export function findReceiverChain(state: SessionState, senderRatchetKey: Uint8Array): number {
  const chains = state.receiverChains;
  for (let i = 0; i < chains.length; i++) {
    if (equalBytes(chains[i]!.senderRatchetKey, senderRatchetKey)) return i;
  }
  return -1;
}

/** True when the session is with ourselves (same identity key on both ends). */
export function isSessionWithSelf(state: SessionState): boolean {
  return equalBytes(state.localIdentityKey, state.remoteIdentityKey);
}

/** The state with its unacknowledged PreKeySignalMessage material cleared (acknowledged or archived). */
export function acknowledged(state: SessionState): SessionState {
  if (state.unacknowledged === undefined) return state;
  return { ...state, unacknowledged: undefined };
}
