/**
 * Decrypting a SignalMessage with a whole record (libsignal
 * `decrypt_message_with_record`), with the work bounded (decrypt-budget.ts):
 *
 * 1. the current state is tried first, unmetered (bounded by the jump
 *    limits alone; for a PreKey message it is the only one: that message
 *    built or found its own state);
 * 2. then the archived states, priced from a cheap peek and tried cheapest
 *    first while ARCHIVED_WORK_BUDGET lasts (ratchet/work-meter.ts); one that cannot take the
 *    message (other version, beyond the jump limit) or no longer fits the
 *    budget fails without being decoded;
 * 3. a state that decrypts is promoted to current; a duplicate stops the
 *    search at once, as in libsignal. When every candidate fails, the error
 *    of the first one in libsignal's order (current, then newest archived)
 *    is thrown. The input record is never modified.
 *
 * Only a MAC-verified message can change a state, so trying candidates in
 * another order than libsignal's picks the same state.
 */
import {
  DuplicateMessageError,
  InvalidRecordError,
  InvalidVersionError,
  NoSessionError,
  SealpostError,
  TooFarInFutureError,
} from '../errors.ts';
import type { CurveKeyPair } from '../keys/curve-key.ts';
import type { SignalMessage } from '../messages/signal-message.ts';
import { MAX_FORWARD_JUMPS } from '../ratchet/constants.ts';
import type { SessionAddresses } from './addresses.ts';
import { type PricedState, fixedUnits, priceTry } from './decrypt-budget.ts';
import { ARCHIVED_WORK_BUDGET, chargeWork, withWorkBudget, workRemaining } from '../ratchet/work-meter.ts';
import { type SessionRecord, previousSessionState, promoteArchivedState } from './session-record.ts';
import type { SessionState } from './session-state.ts';
import { peekSessionState } from './state-peek.ts';
import { decryptWithState } from './triple-ratchet.ts';

/** The error a state that cannot take the message at all reports (what decryptWithState would throw). */
function refusal(state: PricedState, message: SignalMessage): SealpostError {
  if (state.version !== message.messageVersion) {
    return new InvalidVersionError(
      message.messageVersion,
      `message version ${message.messageVersion} does not match session version ${state.version}`,
    );
  }
  return new TooFarInFutureError(`message from too far into the future (counter ${message.counter}, limit ${MAX_FORWARD_JUMPS})`);
}

/** Rethrows what must stop the search; otherwise returns the error to remember. */
function keepError(e: unknown): SealpostError {
  if (e instanceof DuplicateMessageError || !(e instanceof SealpostError)) throw e;
  return e;
}

/** Decrypts `message` with the record's current or archived states (see the module comment). */
export function decryptWithRecord(
  record: SessionRecord,
  message: SignalMessage,
  isPreKey: boolean,
  newRatchetKey: () => CurveKeyPair,
  addresses: SessionAddresses | undefined,
): { record: SessionRecord; plaintext: Uint8Array } {
  const options = { addresses };
  // errors[0]: the current state's; errors[i + 1]: archived state i's.
  const errors: (SealpostError | undefined)[] = [];
  if (record.current !== undefined) {
    try {
      const { state, plaintext } = decryptWithState(record.current, message, newRatchetKey, options);
      return { record: { current: state, previous: record.previous }, plaintext };
    } catch (e) {
      const error = keepError(e);
      if (isPreKey) throw error;
      errors[0] = error;
    }
  }
  const found = withWorkBudget(ARCHIVED_WORK_BUDGET, () => tryArchived(record, message, newRatchetKey, options, errors));
  if (found !== undefined) return found;
  const first = errors.find((e) => e !== undefined);
  if (first !== undefined) throw first;
  throw new NoSessionError('no session to decrypt with');
}

/** The archived candidates, cheapest first, within the open work budget; errors[i + 1] gets state i's failure. */
function tryArchived(
  record: SessionRecord,
  message: SignalMessage,
  newRatchetKey: () => CurveKeyPair,
  options: { addresses: SessionAddresses | undefined },
  errors: (SealpostError | undefined)[],
): { record: SessionRecord; plaintext: Uint8Array } | undefined {
  const candidates = record.previous.map((bytes, index) => {
    const peek = peekSessionState(bytes);
    return { index, peek, price: peek === undefined ? 0 : priceTry(peek, message, bytes.length) };
  });
  candidates.sort((a, b) => a.price - b.price || a.index - b.index);
  for (const { index, peek, price } of candidates) {
    if (peek === undefined) {
      errors[index + 1] = new InvalidRecordError(`archived session state ${index}: malformed protobuf`);
      continue;
    }
    if (!Number.isFinite(price)) {
      errors[index + 1] = refusal(peek, message);
      continue;
    }
    if (price > workRemaining()) {
      errors[index + 1] = new TooFarInFutureError(`decrypt work budget exhausted before archived session state ${index}`);
      continue;
    }
    let previous: SessionState;
    try {
      chargeWork(fixedUnits(message, record.previous[index]!.length), 'a try');
      previous = previousSessionState(record, index);
    } catch (e) {
      errors[index + 1] = keepError(e);
      continue;
    }
    try {
      const { state, plaintext } = decryptWithState(previous, message, newRatchetKey, options);
      return { record: promoteArchivedState(record, index, state), plaintext };
    } catch (e) {
      errors[index + 1] = keepError(e);
    }
  }
  return undefined;
}
