/**
 * `SenderKeyRecord` (libsignal sender_keys.rs): the states for one (sender
 * device, distribution id), newest first. The sender always uses
 * `states[0]`; a member finds the state by the message's chain id.
 *
 * Records are immutable values; every function returns a new one.
 */
import { equalBytes } from '../primitives/index.ts';
import { MAX_SENDER_KEY_STATES } from './constants.ts';
import { newSenderKeyState, type SenderKeyState, type SenderKeyStateFields } from './state.ts';

export interface SenderKeyRecord {
  /** Newest first. */
  readonly states: readonly SenderKeyState[];
}

/** A record with no state (what a store returns for an unknown sender). */
export function emptySenderKeyRecord(): SenderKeyRecord {
  return { states: [] };
}

/** The index of the first state with `chainId`, or -1 (libsignal `sender_key_state_for_chain_id`). */
export function stateIndexForChainId(record: SenderKeyRecord, chainId: number): number {
  return record.states.findIndex((s) => s.chainId === chainId);
}

/** The record with state `index` replaced by `state` (its position kept). */
export function withStateReplaced(record: SenderKeyRecord, index: number, state: SenderKeyState): SenderKeyRecord {
  const states = record.states.slice();
  states[index] = state;
  return { states };
}

/**
 * libsignal `add_sender_key_state`: a state with the same chain id and
 * signing key is kept as it is (so re-processing an SKDM does not rewind
 * the chain) and moved to the front; other states with that chain id are
 * removed; while MAX_SENDER_KEY_STATES or more remain the oldest is dropped;
 * the state goes in front.
 */
export function withSenderKeyState(
  record: SenderKeyRecord,
  fields: SenderKeyStateFields,
): SenderKeyRecord {
  const states = record.states.slice();
  const same = states.findIndex(
    (s) => s.chainId === fields.chainId && s.signingKey !== undefined && equalBytes(s.signingKey.publicKey, fields.signingPublicKey),
  );
  const existing = same >= 0 ? states.splice(same, 1)[0] : undefined;
  const rest = states.filter((s) => s.chainId !== fields.chainId);
  while (rest.length >= MAX_SENDER_KEY_STATES) rest.pop();
  return { states: [existing ?? newSenderKeyState(fields), ...rest] };
}
