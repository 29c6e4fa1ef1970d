/**
 * The sender chain (libsignal `SenderChainKey`, sender_keys.rs): for chain
 * key C at iteration i,
 *
 *   message-key seed = HMAC-SHA256(C, 0x01)
 *   next chain key   = HMAC-SHA256(C, 0x02), at iteration i + 1
 *
 * — the 1:1 ratchet's chain step (ratchet/chain-key.ts), reused. An
 * iteration past 2^32 - 1 is an error, as in libsignal.
 */
import { InvalidSenderKeySessionError } from '../errors.ts';
import { checkBytes } from '../primitives/index.ts';
import { messageKeySeed, nextChainKey } from '../ratchet/chain-key.ts';
import { SENDER_CHAIN_KEY_LENGTH } from './constants.ts';

/** A chain key with the iteration of the next message it protects. */
export interface SenderChainKey {
  readonly iteration: number;
  readonly seed: Uint8Array;
}

const MAX_ITERATION = 0xffffffff;

/** The message-key seed for the chain key's own iteration. */
export function senderMessageKeySeed(chainKey: SenderChainKey): Uint8Array {
  return messageKeySeed(checkBytes('sender chain key', chainKey.seed, SENDER_CHAIN_KEY_LENGTH));
}

/** The chain key one iteration on (InvalidSenderKeySessionError past 2^32 - 1). */
export function nextSenderChainKey(chainKey: SenderChainKey): SenderChainKey {
  if (chainKey.iteration >= MAX_ITERATION) throw new InvalidSenderKeySessionError('sender chain key iteration overflow');
  return { iteration: chainKey.iteration + 1, seed: nextChainKey(chainKey.seed) };
}
