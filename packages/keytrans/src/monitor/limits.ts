/** Bounds of the client's KT state (the codec refuses anything beyond them). */
export const KT_STATE_FORMAT_VERSION = 1;
/** Pending (unwitnessed) heads kept; the request's `pending` holds at most this many (wire.ts: 16). */
export const MAX_PENDING_HEADS = 16;
/** Accepted labels kept (contacts and handles looked up). */
export const MAX_LABELS = 4096;
/** Owned labels (an account label and a handle or two). */
export const MAX_OWNED = 16;
/** Verified-VRF cache entries; the oldest are evicted. */
export const MAX_VRF_CACHE = 8192;
/** Evidence records kept; the oldest are dropped. */
export const MAX_EVIDENCE = 64;
/** A checkpoint note's text (log signature and up to a few dozen cosignatures). */
export const MAX_NOTE_CHARS = 8192;
/** A base64 search proof. */
export const MAX_PROOF_CHARS = 65_536;
/** Consistency proofs in one response, and hashes in one proof. */
export const MAX_CONSISTENCY_PROOFS = MAX_PENDING_HEADS + 1;
export const MAX_CONSISTENCY_HASHES = 64;
/** One encoded evidence record (JSON, UTF-8). */
export const MAX_EVIDENCE_BYTES = 262_144;
