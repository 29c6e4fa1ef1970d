/**
 * SPQR, the sparse post-quantum ratchet (Signal's ML-KEM Braid + symmetric
 * chain), byte-compatible with libsignal-client 0.103.0. Internal module of
 * @sealpost/protocol: the session layer calls initialState/send/recv; the
 * rest is exported for tests and vectors.
 */
export { SpqrError, type SpqrErrorKind } from './errors.ts';
export type { RandomBytes } from './crypto.ts';
export { currentVersion, initialState, recv, recvState, send, sendState, type CurrentVersion, type SpqrParams, type SpqrRecv, type SpqrSend } from './ratchet.ts';
export { DIRECTION_A2B, DIRECTION_B2A, DEFAULT_MAX_JUMP, DEFAULT_MAX_OOO_KEYS } from './chain.ts';
export { VERSION_V0, VERSION_V1, type PqRatchetState, type V1State, type V1StateKind } from './state.ts';
export { decodePqRatchetState, encodePqRatchetState } from './state-codec.ts';
export { deserializeMessage, serializeMessage, type SpqrMessage, type MessagePayload } from './message.ts';
export { initialSessionPqState, tripleRatchetRecv, tripleRatchetSend, SELF_SESSION_MAX_JUMP, type TripleRatchetRecv, type TripleRatchetSend } from './triple-ratchet.ts';
