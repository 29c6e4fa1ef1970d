/**
 * libsignal v0.90.0's sender-key constants (rust/protocol/src/consts.rs,
 * protocol.rs). The forward-jump and skipped-key bounds are the 1:1
 * ratchet's, shared as in libsignal.
 */
export { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS } from '../ratchet/constants.ts';

/** The only sender-key message version (high nibble of the version byte). */
export const SENDERKEY_MESSAGE_CURRENT_VERSION = 3;
/** States kept per (sender device, distribution id); the oldest is evicted. */
export const MAX_SENDER_KEY_STATES = 5;
/** XEdDSA signature that ends every SenderKeyMessage. */
export const SENDER_KEY_SIGNATURE_LENGTH = 64;
/** A chain key (and a message-key seed) is 32 bytes. */
export const SENDER_CHAIN_KEY_LENGTH = 32;
/** `CiphertextMessageType::SenderKey`, the USMC content type of a group message. */
export const SENDER_KEY_MESSAGE_TYPE = 7;
