/**
 * libsignal v0.90.0's session bounds (rust/protocol/src/consts.rs).
 */

/** How far ahead of a chain's position a message counter may be. */
export const MAX_FORWARD_JUMPS = 25_000;
/** Skipped message keys kept per receiver chain (oldest trimmed). */
export const MAX_MESSAGE_KEYS = 2000;
/** Receiver chains kept per session state (oldest trimmed). */
export const MAX_RECEIVER_CHAINS = 5;
/** Archived (previous) session states kept per record (oldest trimmed). */
export const ARCHIVED_STATES_MAX_LENGTH = 40;
/** An initiator's session unanswered for this long is not used to send (30 days, in seconds). */
export const MAX_UNACKNOWLEDGED_SESSION_AGE_SECONDS = 60 * 60 * 24 * 30;
/** Session version / message version for PQXDH sessions. */
export const CIPHERTEXT_MESSAGE_CURRENT_VERSION = 4;
/** The pre-Kyber (X3DH) version, still parsed but refused for new sessions. */
export const CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION = 3;
