/**
 * One sender-key state (libsignal `SenderKeyState`, sender_keys.rs): a
 * chain id, the chain key, the signing key (with its private half only on
 * the sender's own state) and the skipped message keys, oldest first.
 *
 * States are immutable values; the functions here return new ones. Fields
 * mirror the storage protobuf (record-codec.ts) so a record read from
 * libsignal is written back byte for byte, `messageVersion` 0 included.
 */
import { InvalidSenderKeySessionError } from '../errors.ts';
import type { SenderChainKey } from './chain-key.ts';
import { MAX_MESSAGE_KEYS, SENDERKEY_MESSAGE_CURRENT_VERSION } from './constants.ts';

/** A skipped message key: the message-key seed of `iteration`. */
export interface StoredSenderMessageKey {
  readonly iteration: number;
  readonly seed: Uint8Array;
}

/** The chain's signing key; `privateKey` is empty on a member's copy. */
export interface SenderSigningKey {
  /** 0x05-prefixed (33 bytes). */
  readonly publicKey: Uint8Array;
  /** 32 bytes on the sender's own state, empty otherwise. */
  readonly privateKey: Uint8Array;
}

export interface SenderKeyState {
  readonly chainId: number;
  /** As stored: 0 means 3 (see `stateMessageVersion`). */
  readonly messageVersion: number;
  /** Absent only in a damaged record (libsignal: `InvalidSenderKeySession`). */
  readonly chainKey: SenderChainKey | undefined;
  readonly signingKey: SenderSigningKey | undefined;
  /** Oldest first; at most MAX_MESSAGE_KEYS. */
  readonly messageKeys: readonly StoredSenderMessageKey[];
}

/** The state's message version (a stored 0 reads as 3, as in libsignal). */
export function stateMessageVersion(state: SenderKeyState): number {
  return state.messageVersion === 0 ? SENDERKEY_MESSAGE_CURRENT_VERSION : state.messageVersion;
}

/** The state's chain key, or InvalidSenderKeySessionError when the record has none. */
export function stateChainKey(state: SenderKeyState): SenderChainKey {
  if (state.chainKey === undefined) throw new InvalidSenderKeySessionError(`sender key state ${state.chainId} has no chain key`);
  return state.chainKey;
}

/** The public signing key (0x05-prefixed), or InvalidSenderKeySessionError. */
export function stateSigningPublicKey(state: SenderKeyState): Uint8Array {
  if (state.signingKey === undefined) throw new InvalidSenderKeySessionError(`sender key state ${state.chainId} has no signing key`);
  return state.signingKey.publicKey;
}

/** The private signing key, or InvalidSenderKeySessionError on a member's copy. */
export function stateSigningPrivateKey(state: SenderKeyState): Uint8Array {
  const key = state.signingKey?.privateKey;
  if (key === undefined || key.length === 0) {
    throw new InvalidSenderKeySessionError(`sender key state ${state.chainId} has no private signing key (not our own chain)`);
  }
  return key;
}

/** What a new state is made of (`newSenderKeyState`, `withSenderKeyState`). */
export interface SenderKeyStateFields {
  messageVersion: number;
  chainId: number;
  iteration: number;
  chainKey: Uint8Array;
  signingPublicKey: Uint8Array;
  signingPrivateKey?: Uint8Array | undefined;
}

/** A new state (libsignal `SenderKeyState::new`). */
export function newSenderKeyState(fields: SenderKeyStateFields): SenderKeyState {
  return {
    chainId: fields.chainId,
    messageVersion: fields.messageVersion,
    chainKey: { iteration: fields.iteration, seed: fields.chainKey.slice() },
    signingKey: { publicKey: fields.signingPublicKey.slice(), privateKey: fields.signingPrivateKey?.slice() ?? new Uint8Array(0) },
    messageKeys: [],
  };
}

/**
 * The state with `added` appended to its skipped keys (oldest dropped past
 * MAX_MESSAGE_KEYS, as libsignal's `add_sender_message_key`) and its chain
 * key set to `chainKey`.
 */
export function withChainAdvanced(
  state: SenderKeyState,
  chainKey: SenderChainKey,
  added: readonly StoredSenderMessageKey[] = [],
): SenderKeyState {
  let messageKeys = state.messageKeys;
  if (added.length > 0) {
    const all = messageKeys.concat(added);
    messageKeys = all.length > MAX_MESSAGE_KEYS ? all.slice(all.length - MAX_MESSAGE_KEYS) : all;
  }
  return { ...state, chainKey, messageKeys };
}

/** The stored key for `iteration` and the state without it, or undefined (libsignal `remove_sender_message_key`). */
export function takeStoredMessageKey(
  state: SenderKeyState,
  iteration: number,
): { key: StoredSenderMessageKey; state: SenderKeyState } | undefined {
  const index = state.messageKeys.findIndex((k) => k.iteration === iteration);
  if (index < 0) return undefined;
  const messageKeys = state.messageKeys.slice();
  const [key] = messageKeys.splice(index, 1);
  return { key: key!, state: { ...state, messageKeys } };
}
