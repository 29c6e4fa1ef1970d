/**
 * @sealpost/protocol/hazmat — the fenced low-level API.
 *
 * HAZARDOUS MATERIALS. These are the key-derivation seams that known-answer
 * vectors drive: PQXDH secret inputs and key derivation, root- and chain-key
 * steps, message-key expansion, session initialisation from explicit keys,
 * and the single-state codec. They take secrets and randomness as plain
 * inputs and check nothing about the protocol around them: calling them in
 * the wrong order, reusing a key, or skipping the identity and signature
 * checks that `initiateSession` / `decryptPreKeyMessage` perform silently
 * breaks the protocol's guarantees. Applications use the root entry
 * (`@sealpost/protocol`); this entry exists for vectors, interop harnesses
 * and protocol research (as vodozemac's `hazmat` / `low-level-api`).
 *
 * What this entry does NOT do: it never persists anything, never verifies
 * a bundle or a signature unless the function's name says so, and makes
 * no promise of API stability beyond the byte formats.
 */

// PQXDH (Signal's spec §3.3): secret inputs and the derived root/chain keys.
export {
  type PqxdhInitiatorInputs,
  type PqxdhKeys,
  type PqxdhResponderInputs,
  derivePqxdhKeys,
  pqxdhInitiator,
  pqxdhInitiatorSecretInput,
  pqxdhResponder,
  pqxdhResponderSecretInput,
} from './pqxdh/pqxdh.ts';

// The Double Ratchet's key schedule, one step at a time.
export { type RootKeyStepOutput, rootKeyStep, rootKeyStepFromSecret } from './ratchet/root-key.ts';
export { type ChainKey, chainKeyStep, messageKeySeed, nextChainKey } from './ratchet/chain-key.ts';
export { type MessageKeys, deriveMessageKeys } from './ratchet/message-keys.ts';

// Session initialisation from explicit keys (no bundle checks).
export {
  type AliceSessionInputs,
  type BobSessionInputs,
  initializeAliceSession,
  initializeBobSession,
} from './session/initialize.ts';

// One session state's protobuf codec (records use serializeSessionRecord).
export { decodeSessionState, encodeSessionState } from './session/session-codec.ts';

// SPQR (the triple ratchet's post-quantum half) one layer at a time, for the
// vector runner's replay of test-vectors/spqr-*.json: GF(2^16) and the
// erasure code, the authenticator and chain KDFs, the initial-state and
// message codecs. Internal state objects; sessions use initiateSession etc.
export { gf16Div, gf16Mul, gf16MulSlow } from './spqr/gf16.ts';
export {
  type Chunk,
  decoderAddChunk,
  decoderMessage,
  encoderNextChunk,
  newDecoder,
  newEncoder,
} from './spqr/polynomial.ts';
export { macCiphertext, macHeader, newAuthenticator, verifyHeader } from './spqr/authenticator.ts';
export { type ChainState, chainAddEpoch, chainRecvKey, chainSendKey, newChain } from './spqr/chain.ts';
export { SpqrError, type SpqrErrorKind } from './spqr/errors.ts';
export { initialState as spqrInitialState } from './spqr/ratchet.ts';
export { decodePqRatchetState, encodePqRatchetState } from './spqr/state-codec.ts';
export { deserializeMessage as deserializeSpqrMessage, serializeMessage as serializeSpqrMessage } from './spqr/message.ts';
