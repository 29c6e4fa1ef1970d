/**
 * The symmetric (chain-key) step of the Double Ratchet (libsignal
 * `ChainKey`): for chain key C_{i,j},
 *
 *   MK_{i,j}    = HMAC-SHA256(C_{i,j}, 0x01)   (message-key seed)
 *   C_{i,j+1}   = HMAC-SHA256(C_{i,j}, 0x02)
 */
import { checkBytes, hmacSha256 } from '../primitives/index.ts';
import { type MessageKeys, deriveMessageKeys } from './message-keys.ts';

const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_SEED = Uint8Array.of(0x02);

/** A chain key with its index j (the counter of the next message it protects). */
export interface ChainKey {
  readonly key: Uint8Array;
  readonly index: number;
}

/** MK_{i,j} = HMAC(C_{i,j}, 0x01): the seed stored for skipped messages. */
export function messageKeySeed(chainKey: Uint8Array): Uint8Array {
  return hmacSha256(chainKey, MESSAGE_KEY_SEED);
}

/** C_{i,j+1} = HMAC(C_{i,j}, 0x02). */
export function nextChainKey(chainKey: Uint8Array): Uint8Array {
  return hmacSha256(chainKey, CHAIN_KEY_SEED);
}

/**
 * One chain step (the vector seam): the message keys for C_{i,j} and
 * C_{i,j+1}. `index` is j; it is echoed back incremented as `nextIndex`.
 */
export function chainKeyStep(
  chainKey: Uint8Array,
  index = 0,
): { messageKeys: MessageKeys; nextChainKey: Uint8Array; index: number; nextIndex: number } {
  checkBytes('chain key', chainKey, 32);
  return {
    messageKeys: deriveMessageKeys(messageKeySeed(chainKey)),
    nextChainKey: nextChainKey(chainKey),
    index,
    nextIndex: index + 1,
  };
}
