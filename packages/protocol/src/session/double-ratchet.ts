/**
 * The Double Ratchet on one session state (libsignal session_cipher.rs):
 * encrypt on the sending chain; decrypt by finding (or ratcheting into) the
 * receiver chain for the message's ratchet key, then taking the message key
 * at its counter — from the skipped-key store if it is behind, by stepping
 * the chain (storing skipped seeds) if it is ahead.
 *
 * Both functions are pure: they return a new state and leave the input
 * untouched, so a failure anywhere simply discards the work.
 */
import {
  BadMacError,
  DecryptionError,
  DuplicateMessageError,
  InvalidMessageError,
  InvalidRecordError,
  InvalidVersionError,
  TooFarInFutureError,
} from '../errors.ts';
import { type CurveKeyPair, generateCurveKeyPair } from '../keys/curve-key.ts';
import { type SignalMessage, encodeSignalMessage, verifySignalMessageMac } from '../messages/signal-message.ts';
import { aes256CbcDecrypt, aes256CbcEncrypt } from '../primitives/index.ts';
import { type ChainKey, messageKeySeed, nextChainKey } from '../ratchet/chain-key.ts';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS } from '../ratchet/constants.ts';
import { type MessageKeys, deriveMessageKeys } from '../ratchet/message-keys.ts';
import { rootKeyStep } from '../ratchet/root-key.ts';
import {
  type ReceiverChain,
  type SessionState,
  type SkippedMessageKey,
  findReceiverChain,
  isSessionWithSelf,
} from './session-state.ts';

/**
 * Every state we step carries an empty SPQR state: we run no SPQR, and an
 * empty state is exactly how libsignal represents "SPQR off" (V0). A stale
 * SPQR state from an imported libsignal record must not travel on, or
 * libsignal would resume a post-quantum ratchet we did not follow.
 */
const NO_SPQR = new Uint8Array(0);

/** Encrypts on the sending chain: returns the framed SignalMessage and the advanced state. */
export function encryptWithState(
  state: SessionState,
  plaintext: Uint8Array,
): { state: SessionState; message: SignalMessage } {
  const sender = state.senderChain;
  if (sender === undefined) throw new InvalidRecordError('session state has no sender chain');
  const chainKey = sender.chainKey;
  const keys = deriveMessageKeys(messageKeySeed(chainKey.key));
  const ciphertext = aes256CbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const message = encodeSignalMessage({
    messageVersion: state.version,
    macKey: keys.macKey,
    senderRatchetKey: sender.ratchetKeyPair.publicKey,
    counter: chainKey.index,
    previousCounter: state.previousCounter,
    ciphertext,
    senderIdentity: state.localIdentityKey,
    receiverIdentity: state.remoteIdentityKey,
  });
  const next: SessionState = {
    ...state,
    pqRatchetState: NO_SPQR,
    senderChain: { ratchetKeyPair: sender.ratchetKeyPair, chainKey: { key: nextChainKey(chainKey.key), index: chainKey.index + 1 } },
  };
  return { state: next, message };
}

/**
 * DH ratchet step on receiving a new ratchet key: derive the receiver chain
 * from (R, DH(our current ratchet key, theirs)), then a new sending chain
 * from a fresh ratchet key pair.
 */
function ratchetForward(
  state: SessionState,
  theirRatchetKey: Uint8Array,
  newRatchetKeyPair: () => CurveKeyPair,
): { state: SessionState; chainIndex: number } {
  const sender = state.senderChain;
  if (sender === undefined) throw new InvalidRecordError('session state has no sender chain');
  const receiving = rootKeyStep(state.rootKey, theirRatchetKey, sender.ratchetKeyPair.privateKey);
  const ourNew = newRatchetKeyPair();
  const sending = rootKeyStep(receiving.rootKey, theirRatchetKey, ourNew.privateKey);
  const receiverChains = [
    ...state.receiverChains,
    { senderRatchetKey: theirRatchetKey, chainKey: { key: receiving.chainKey, index: 0 }, messageKeys: [] },
  ];
  if (receiverChains.length > MAX_RECEIVER_CHAINS) receiverChains.shift();
  const currentIndex = sender.chainKey.index;
  return {
    state: {
      ...state,
      rootKey: sending.rootKey,
      receiverChains,
      previousCounter: currentIndex > 0 ? currentIndex - 1 : 0,
      senderChain: { ratchetKeyPair: ourNew, chainKey: { key: sending.chainKey, index: 0 } },
    },
    chainIndex: receiverChains.length - 1,
  };
}

function keysOf(k: SkippedMessageKey): MessageKeys {
  return 'seed' in k ? deriveMessageKeys(k.seed) : k.keys;
}

/** Takes the message key at `counter` from a receiver chain, updating the chain. */
function takeMessageKeys(
  state: SessionState,
  chain: ReceiverChain,
  counter: number,
): { chain: ReceiverChain; keys: MessageKeys } {
  const chainKey = chain.chainKey;
  if (chainKey.index > counter) {
    const at = chain.messageKeys.findIndex((m) => m.index === counter);
    if (at < 0) {
      throw new DuplicateMessageError(counter, `duplicate message (counter ${counter}, chain at ${chainKey.index})`);
    }
    const messageKeys = chain.messageKeys.slice();
    const [used] = messageKeys.splice(at, 1);
    return { chain: { ...chain, messageKeys }, keys: keysOf(used!) };
  }
  const jump = counter - chainKey.index;
  if (jump > MAX_FORWARD_JUMPS && !isSessionWithSelf(state)) {
    throw new TooFarInFutureError(
      `message from too far into the future (counter ${counter}, chain at ${chainKey.index}, limit ${MAX_FORWARD_JUMPS})`,
    );
  }
  let key = chainKey.key;
  let index = chainKey.index;
  let messageKeys: readonly SkippedMessageKey[] = chain.messageKeys;
  if (index < counter) {
    // Skipped keys go to the front (newest first), oldest trimmed past the bound.
    // Only the newest MAX_MESSAGE_KEYS can survive trimming, so older seeds are
    // never materialised (memory stays bounded even for a self-session's
    // unbounded jump), though every chain step is still taken.
    const skipped: SkippedMessageKey[] = [];
    const keepFrom = counter - MAX_MESSAGE_KEYS;
    while (index < counter) {
      if (index >= keepFrom) skipped.push({ index, seed: messageKeySeed(key) });
      key = nextChainKey(key);
      index++;
    }
    skipped.reverse();
    const merged = skipped.length >= MAX_MESSAGE_KEYS ? skipped.slice(0, MAX_MESSAGE_KEYS) : skipped.concat(chain.messageKeys);
    if (merged.length > MAX_MESSAGE_KEYS) merged.length = MAX_MESSAGE_KEYS;
    messageKeys = merged;
  }
  const keys = deriveMessageKeys(messageKeySeed(key));
  const nextKey: ChainKey = { key: nextChainKey(key), index: index + 1 };
  return { chain: { senderRatchetKey: chain.senderRatchetKey, chainKey: nextKey, messageKeys }, keys };
}

/**
 * Decrypts `message` with one state. Returns the plaintext and the updated
 * state (pending prekey cleared: the peer has answered), or throws.
 */
export function decryptWithState(
  state: SessionState,
  message: SignalMessage,
  newRatchetKeyPair: () => CurveKeyPair = () => generateCurveKeyPair(),
): { state: SessionState; plaintext: Uint8Array } {
  if (message.messageVersion !== state.version) {
    throw new InvalidVersionError(
      message.messageVersion,
      `message version ${message.messageVersion} does not match session version ${state.version}`,
    );
  }
  let working = state;
  let chainAt = findReceiverChain(working, message.senderRatchetKey);
  if (chainAt < 0) {
    const stepped = ratchetForward(working, message.senderRatchetKey, newRatchetKeyPair);
    working = stepped.state;
    chainAt = stepped.chainIndex;
  }
  const { chain, keys } = takeMessageKeys(working, working.receiverChains[chainAt]!, message.counter);
  // SPQR (message.pqRatchet) is ignored: our states carry no SPQR, which is
  // what libsignal's own fallback (version negotiation down to V0) yields.
  if (!verifySignalMessageMac(message, working.remoteIdentityKey, working.localIdentityKey, keys.macKey)) {
    throw new BadMacError('message MAC verification failed');
  }
  let plaintext: Uint8Array;
  try {
    plaintext = aes256CbcDecrypt(keys.cipherKey, keys.iv, message.ciphertext);
  } catch (e) {
    if (e instanceof DecryptionError) throw new InvalidMessageError('failed to decrypt message body');
    throw e;
  }
  const receiverChains = working.receiverChains.slice();
  receiverChains[chainAt] = chain;
  return {
    state: { ...working, receiverChains, unacknowledged: undefined, pqRatchetState: NO_SPQR },
    plaintext,
  };
}
