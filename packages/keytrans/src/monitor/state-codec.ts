/**
 * The strict, deterministic, versioned binary codec of KtClientState, so a
 * client store saves it as one blob in one transaction.
 *
 *   "KTS" ‖ uint8 format (1)
 *   optional<Head> retained
 *   PendingHead pending<count16>
 *   Label labels<count32>        sorted by label bytes
 *   Owned owned<count16>         sorted by label bytes
 *   VrfEntry vrf<count32>        insertion order (the eviction order)
 *   opaque evidence<count16>     each canonical UTF-8 JSON of KtEvidenceJson
 *
 * Equal states encode to equal bytes; decodeKtState(encodeKtState(s)) encodes
 * to the same bytes. Decoding refuses (KeyTransparencyError MALFORMED)
 * anything that is not exactly such an encoding within the limits.
 */
import { KeyTransparencyError } from '../errors.ts';
import type { KtClientState } from './types.ts';

/** The state's canonical bytes. */
export function encodeKtState(state: KtClientState): Uint8Array {
  void state;
  throw new KeyTransparencyError('INVALID_ARGUMENT', 'not implemented yet');
}

/** Parses bytes made by encodeKtState; MALFORMED for anything else. */
export function decodeKtState(bytes: Uint8Array): KtClientState {
  void bytes;
  throw new KeyTransparencyError('MALFORMED', 'not implemented yet');
}
