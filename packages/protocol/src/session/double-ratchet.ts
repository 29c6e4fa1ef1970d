/**
 * The Double Ratchet key schedule on one session state (libsignal
 * double_ratchet.rs): the sending chain's next message-key seed; on receipt,
 * finding (or ratcheting into) the receiver chain for the message's ratchet
 * key and taking the key at its counter — from the skipped-key store if it
 * is behind, by stepping the chain (storing skipped seeds) if it is ahead.
 *
 * Keys leave this layer as seeds: the triple ratchet (triple-ratchet.ts)
 * expands them with the SPQR key as salt, checks the MAC and runs AES.
 * Both steps are pure: they return a new state and leave the input
 * untouched, so a failure anywhere simply discards the work.
 */
import { DuplicateMessageError, InvalidRecordError, InvalidVersionError, TooFarInFutureError } from '../errors.ts';
import type { CurveKeyPair } from '../keys/curve-key.ts';
import type { SignalMessage } from '../messages/signal-message.ts';
import { type ChainKey, messageKeySeed, nextChainKey } from '../ratchet/chain-key.ts';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS } from '../ratchet/constants.ts';
import { rootKeyStep } from '../ratchet/root-key.ts';
import { DH_RATCHET_UNITS, chargeWork } from '../ratchet/work-meter.ts';
import {
  type ReceiverChain,
  type SessionState,
  type SkippedMessageKey,
  findReceiverChain,
} from './session-state.ts';

/** The sending chain's message-key seed and counter, and the state with the chain advanced. */
export function sendingStep(state: SessionState): { state: SessionState; seed: Uint8Array; counter: number } {
  const sender = state.senderChain;
  if (sender === undefined) throw new InvalidRecordError('session state has no sender chain');
  const chainKey = sender.chainKey;
  const next: SessionState = {
    ...state,
    senderChain: { ratchetKeyPair: sender.ratchetKeyPair, chainKey: { key: nextChainKey(chainKey.key), index: chainKey.index + 1 } },
  };
  return { state: next, seed: messageKeySeed(chainKey.key), counter: chainKey.index };
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
  chargeWork(DH_RATCHET_UNITS, 'DH ratchet step');
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

/** Takes the message key at `counter` from a receiver chain, updating the chain. */
function takeMessageKeys(
  chain: ReceiverChain,
  counter: number,
): { chain: ReceiverChain; key: SkippedMessageKey } {
  const chainKey = chain.chainKey;
  if (chainKey.index > counter) {
    const at = chain.messageKeys.findIndex((m) => m.index === counter);
    if (at < 0) {
      throw new DuplicateMessageError(counter, `duplicate message (counter ${counter}, chain at ${chainKey.index})`);
    }
    const messageKeys = chain.messageKeys.slice();
    const [used] = messageKeys.splice(at, 1);
    return { chain: { ...chain, messageKeys }, key: used! };
  }
  const jump = counter - chainKey.index;
  // Every session, a session with oneself included (libsignal exempts those: a 70-byte message
  // with counter 2^31 then walks the chain for hours before its MAC can fail).
  if (jump > MAX_FORWARD_JUMPS) {
    throw new TooFarInFutureError(
      `message from too far into the future (counter ${counter}, chain at ${chainKey.index}, limit ${MAX_FORWARD_JUMPS})`,
    );
  }
  let key = chainKey.key;
  let index = chainKey.index;
  let messageKeys: readonly SkippedMessageKey[] = chain.messageKeys;
  if (index < counter) {
    chargeWork(counter - index, 'Double Ratchet chain walk');
    // Skipped keys go to the front (newest first), oldest trimmed past the bound.
    // Only the newest MAX_MESSAGE_KEYS can survive trimming, so older seeds are
    // never materialised, though every chain step is still taken.
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
  const nextKey: ChainKey = { key: nextChainKey(key), index: index + 1 };
  return { chain: { senderRatchetKey: chain.senderRatchetKey, chainKey: nextKey, messageKeys }, key: { index, seed: messageKeySeed(key) } };
}

/**
 * The receiving step for `message`: the state with the receiver chain found
 * or ratcheted into and advanced past the message, and the message's key
 * (a seed; an expanded key only from an old record's skipped-key store).
 * The caller keeps the state only once the message verified.
 */
export function receivingStep(
  state: SessionState,
  message: SignalMessage,
  newRatchetKeyPair: () => CurveKeyPair,
): { state: SessionState; key: SkippedMessageKey } {
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
  const { chain, key } = takeMessageKeys(working.receiverChains[chainAt]!, message.counter);
  const receiverChains = working.receiverChains.slice();
  receiverChains[chainAt] = chain;
  return { state: { ...working, receiverChains }, key };
}
