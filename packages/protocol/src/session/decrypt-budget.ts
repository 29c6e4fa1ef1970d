/**
 * Pricing a try of a message on one candidate state (issue 11 item 17),
 * from what a cheap peek shows: the exact Double Ratchet walk, a DH ratchet
 * when the chain is new, the decode and the MAC. SPQR's walk is not known
 * before its state is decoded, so it is charged exactly when it happens
 * (spqr/chain.ts); the price is a lower bound used to order the archived
 * candidates and to refuse, without decoding, one that cannot fit.
 */
import type { SignalMessage } from '../messages/signal-message.ts';
import { MAX_FORWARD_JUMPS } from '../ratchet/constants.ts';
import { DECODE_BYTES_PER_UNIT, DH_RATCHET_UNITS, MAC_BYTES_PER_UNIT, TRY_FIXED_UNITS } from '../ratchet/work-meter.ts';
import { equalBytes } from '../primitives/bytes.ts';

/** What pricing needs to know about a candidate state. */
export interface PricedState {
  readonly version: number;
  readonly receiverChains: readonly { readonly ratchetKey: Uint8Array; readonly index: number }[];
}

/** Units of the part of a try paid before any ratchet work: decoding the state and the MAC. */
export function fixedUnits(message: SignalMessage, decodeBytes: number): number {
  return Math.ceil(decodeBytes / DECODE_BYTES_PER_UNIT) + Math.ceil(message.serialized.length / MAC_BYTES_PER_UNIT) + TRY_FIXED_UNITS;
}

/**
 * A lower bound of the units a try of `message` on `state` costs;
 * `Infinity` when the state cannot take it at all (other version, or
 * beyond the forward-jump limit), which the caller reports without work.
 */
export function priceTry(state: PricedState, message: SignalMessage, decodeBytes: number): number {
  if (state.version !== message.messageVersion) return Infinity;
  const chain = state.receiverChains.find((c) => equalBytes(c.ratchetKey, message.senderRatchetKey));
  const from = chain?.index ?? 0;
  const steps = message.counter >= from ? message.counter - from : 0;
  if (steps > MAX_FORWARD_JUMPS) return Infinity;
  return fixedUnits(message, decodeBytes) + steps + (chain === undefined ? DH_RATCHET_UNITS : 0);
}
