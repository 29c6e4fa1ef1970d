/**
 * Group encrypt and decrypt with a sender-key record (libsignal
 * group_cipher.rs `group_encrypt` / `group_decrypt`). Both are pure: they
 * return the record to store, and a failure throws before anything is
 * returned, so the caller's record is untouched (it is immutable anyway).
 *
 * Decrypt, in libsignal's order: parse; find the state by chain id
 * (NoSenderKeyStateError); the message version must be the state's; verify
 * the signature before any state change; then the message key — an older
 * iteration from the stored keys (else DuplicateMessageError), a newer one
 * at most MAX_FORWARD_JUMPS ahead (else TooFarInFutureError), storing the
 * skipped keys (the newest MAX_MESSAGE_KEYS kept); then AES-256-CBC.
 */
import {
  DuplicateMessageError,
  InvalidMessageError,
  InvalidSignatureError,
  InvalidVersionError,
  NoSenderKeyStateError,
  SealpostError,
  TooFarInFutureError,
} from '../errors.ts';
import { aes256CbcDecrypt, aes256CbcEncrypt, checkBytes } from '../primitives/index.ts';
import { nextSenderChainKey, senderMessageKeySeed, type SenderChainKey } from './chain-key.ts';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS } from './constants.ts';
import { deriveSenderMessageKey, type SenderMessageKey } from './message-key.ts';
import { type SenderKeyRecord, stateIndexForChainId, withStateReplaced } from './record.ts';
import { decodeSenderKeyMessage, encodeSenderKeyMessage, type SenderKeyMessage, verifySenderKeyMessage } from './sender-key-message.ts';
import {
  type SenderKeyState,
  type StoredSenderMessageKey,
  stateChainKey,
  stateMessageVersion,
  stateSigningPrivateKey,
  stateSigningPublicKey,
  takeStoredMessageKey,
  withChainAdvanced,
} from './state.ts';

/**
 * Encrypts `plaintext` with our chain (`states[0]`) and signs it; returns
 * the message and the record advanced one iteration. `random64` is the
 * XEdDSA randomness (fresh when absent).
 */
export function groupEncrypt(
  record: SenderKeyRecord | undefined,
  distributionId: string,
  plaintext: Uint8Array,
  random64?: Uint8Array,
): { record: SenderKeyRecord; message: SenderKeyMessage } {
  const state = record?.states[0];
  if (record === undefined || state === undefined) {
    throw new NoSenderKeyStateError(distributionId, `no sender key state for distribution ${distributionId}`);
  }
  checkBytes('plaintext', plaintext);
  const chainKey = stateChainKey(state);
  const key = deriveSenderMessageKey(chainKey.iteration, senderMessageKeySeed(chainKey));
  const message = encodeSenderKeyMessage({
    messageVersion: stateMessageVersion(state),
    distributionId,
    chainId: state.chainId,
    iteration: key.iteration,
    ciphertext: aes256CbcEncrypt(key.cipherKey, key.iv, plaintext),
    signingPrivateKey: stateSigningPrivateKey(state),
    random64,
  });
  return { record: withStateReplaced(record, 0, withChainAdvanced(state, nextSenderChainKey(chainKey))), message };
}

/** The message key for `iteration` and the state after using it (libsignal `get_sender_key`). */
function takeMessageKey(state: SenderKeyState, iteration: number, distributionId: string): { key: SenderMessageKey; state: SenderKeyState } {
  const chainKey = stateChainKey(state);
  if (chainKey.iteration > iteration) {
    const stored = takeStoredMessageKey(state, iteration);
    if (stored === undefined) {
      throw new DuplicateMessageError(
        iteration,
        `sender key distribution ${distributionId}: duplicate or too old message (iteration ${iteration}, chain at ${chainKey.iteration})`,
      );
    }
    return { key: deriveSenderMessageKey(iteration, stored.key.seed), state: stored.state };
  }
  const jump = iteration - chainKey.iteration;
  if (jump > MAX_FORWARD_JUMPS) {
    throw new TooFarInFutureError(
      `sender key distribution ${distributionId}: message from too far into the future (iteration ${iteration}, chain at ${chainKey.iteration}, limit ${MAX_FORWARD_JUMPS})`,
    );
  }
  // Only the newest MAX_MESSAGE_KEYS skipped seeds survive the trim, so the older ones are not derived.
  const firstKept = Math.max(chainKey.iteration, iteration - MAX_MESSAGE_KEYS);
  const skipped: StoredSenderMessageKey[] = [];
  let current: SenderChainKey = chainKey;
  while (current.iteration < iteration) {
    if (current.iteration >= firstKept) skipped.push({ iteration: current.iteration, seed: senderMessageKeySeed(current) });
    current = nextSenderChainKey(current);
  }
  const next = nextSenderChainKey(current);
  return { key: deriveSenderMessageKey(iteration, senderMessageKeySeed(current)), state: withChainAdvanced(state, next, skipped) };
}

/**
 * Decrypts a SenderKeyMessage (bytes or parsed) from the sender whose record
 * this is; returns the plaintext and the record to store.
 */
export function groupDecrypt(
  record: SenderKeyRecord | undefined,
  messageOrBytes: SenderKeyMessage | Uint8Array,
): { record: SenderKeyRecord; plaintext: Uint8Array } {
  const message = messageOrBytes instanceof Uint8Array ? decodeSenderKeyMessage(messageOrBytes) : messageOrBytes;
  const { distributionId, chainId } = message;
  const index = record === undefined ? -1 : stateIndexForChainId(record, chainId);
  if (record === undefined || index < 0) {
    throw new NoSenderKeyStateError(distributionId, `no sender key state for distribution ${distributionId} with chain id ${chainId}`);
  }
  const state = record.states[index]!;
  if (message.messageVersion !== stateMessageVersion(state)) {
    throw new InvalidVersionError(message.messageVersion, `unrecognized message version ${message.messageVersion} (state has ${stateMessageVersion(state)})`);
  }
  if (!verifySenderKeyMessage(message, stateSigningPublicKey(state))) {
    throw new InvalidSignatureError('sender key message signature validation failed');
  }
  const used = takeMessageKey(state, message.iteration, distributionId);
  let plaintext: Uint8Array;
  try {
    plaintext = aes256CbcDecrypt(used.key.cipherKey, used.key.iv, message.ciphertext);
  } catch (e) {
    if (e instanceof SealpostError) throw new InvalidMessageError(`SenderKeyMessage: decryption failed (${e.message})`);
    throw e;
  }
  return { record: withStateReplaced(record, index, used.state), plaintext };
}
