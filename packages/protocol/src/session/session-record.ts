/**
 * A session record: the current session state plus archived previous
 * states (newest first, at most ARCHIVED_STATES_MAX_LENGTH), serialized in
 * libsignal's `RecordStructure` layout.
 *
 * Archived states stay as SessionStructure bytes, exactly as libsignal keeps
 * them: they are decoded only when a message fails under the current state,
 * so loading, stepping and saving a record costs the current state only.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { InvalidRecordError } from '../errors.ts';
import { RecordStructureSchema, type SessionStructure, SessionStructureSchema } from '../gen/storage_pb.ts';
import { ARCHIVED_STATES_MAX_LENGTH, MAX_UNACKNOWLEDGED_SESSION_AGE_SECONDS } from '../ratchet/constants.ts';
import { checkBytes } from '../primitives/bytes.ts';
import { decodeProto } from '../error-mapping.ts';
import { decodeSessionState, encodeSessionState, sessionStateFromPb, sessionStateToPb } from './session-codec.ts';
import { type SessionState, acknowledged } from './session-state.ts';

/** An immutable session record. */
export interface SessionRecord {
  readonly current: SessionState | undefined;
  /** Archived states as SessionStructure bytes, newest first. */
  readonly previous: readonly Uint8Array[];
  /**
   * A stored current state that does not validate (set only when `current`
   * is undefined), kept as SessionStructure bytes: it cannot encrypt or
   * decrypt, but it is saved and archived as libsignal does with it, and
   * the archived states are still tried.
   */
  readonly unusableCurrent?: Uint8Array | undefined;
}

/** A record with no session at all (what a peer we never talked to has). */
export function emptySessionRecord(): SessionRecord {
  return { current: undefined, previous: [] };
}

/** Serializes a record as libsignal's RecordStructure. */
export function serializeSessionRecord(record: SessionRecord): Uint8Array {
  let currentSession: SessionStructure | undefined;
  if (record.current !== undefined) currentSession = sessionStateToPb(record.current);
  else if (record.unusableCurrent !== undefined) currentSession = decodeProto(SessionStructureSchema, record.unusableCurrent, 'session state');
  return toBinary(
    RecordStructureSchema,
    create(RecordStructureSchema, {
      currentSession,
      previousSessions: record.previous.slice(),
    }),
  );
}

/**
 * Parses libsignal RecordStructure bytes: refused exactly when libsignal's
 * `SessionRecord::deserialize` refuses (the protobuf does not decode). The
 * current state is checked here; one that does not validate is kept as
 * `unusableCurrent` (libsignal, too, only fails when it is used), so the
 * archived states — checked when used — still decrypt.
 */
export function deserializeSessionRecord(bytes: Uint8Array): SessionRecord {
  checkBytes('session record', bytes);
  const pb = decodeProto(RecordStructureSchema, bytes, 'session record');
  const previous = pb.previousSessions;
  if (pb.currentSession === undefined) return { current: undefined, previous };
  try {
    return { current: sessionStateFromPb(pb.currentSession), previous };
  } catch (e) {
    if (!(e instanceof InvalidRecordError)) throw e;
    return { current: undefined, previous, unusableCurrent: toBinary(SessionStructureSchema, pb.currentSession) };
  }
}

/** Decodes the archived state at `index` (newest first). */
export function previousSessionState(record: SessionRecord, index: number): SessionState {
  const bytes = record.previous[index];
  if (bytes === undefined) throw new InvalidRecordError(`no archived session state ${index}`);
  return decodeSessionState(bytes);
}

/**
 * Archives the current state (with its pending prekey material cleared, as
 * libsignal does) and makes `state` current.
 */
export function promoteState(record: SessionRecord, state: SessionState): SessionRecord {
  const archived = archivedCurrent(record);
  if (archived === undefined) return { current: state, previous: record.previous };
  const previous = [archived, ...record.previous];
  if (previous.length > ARCHIVED_STATES_MAX_LENGTH) previous.length = ARCHIVED_STATES_MAX_LENGTH;
  return { current: state, previous };
}

/** The current state (usable or not) as archived bytes, pending prekey material cleared; undefined without one. */
function archivedCurrent(record: SessionRecord): Uint8Array | undefined {
  if (record.current !== undefined) return encodeSessionState(acknowledged(record.current));
  if (record.unusableCurrent === undefined) return undefined;
  const pb = decodeProto(SessionStructureSchema, record.unusableCurrent, 'session state');
  pb.pendingPreKey = undefined;
  pb.pendingKyberPreKey = undefined;
  return toBinary(SessionStructureSchema, pb);
}

/** Removes archived state `index` and promotes `state` (its updated form) to current. */
export function promoteArchivedState(record: SessionRecord, index: number, state: SessionState): SessionRecord {
  const previous = record.previous.slice();
  previous.splice(index, 1);
  return promoteState({ current: record.current, previous, unusableCurrent: record.unusableCurrent }, state);
}

/** Archives the current state, leaving the record without a current session. */
export function archiveCurrentState(record: SessionRecord): SessionRecord {
  const archived = archivedCurrent(record);
  if (archived === undefined) return record;
  const previous = [archived, ...record.previous];
  if (previous.length > ARCHIVED_STATES_MAX_LENGTH) previous.length = ARCHIVED_STATES_MAX_LENGTH;
  return { current: undefined, previous };
}

/**
 * Whether the record can send: it has a current state with a sending chain,
 * and (for an unacknowledged initiator) the session is not older than
 * libsignal's 30-day limit. `now` is milliseconds since the epoch.
 */
export function hasUsableSenderChain(record: SessionRecord, now: number = Date.now()): boolean {
  const s = record.current;
  if (s === undefined || s.senderChain === undefined) return false;
  if (s.unacknowledged !== undefined && isStale(s.unacknowledged.timestamp, now)) return false;
  return true;
}

/** An unacknowledged session created at `createdSeconds` is stale at `nowMs`. */
export function isStale(createdSeconds: number, nowMs: number): boolean {
  return (createdSeconds + MAX_UNACKNOWLEDGED_SESSION_AGE_SECONDS) * 1000 < nowMs;
}

/** The current session's remote registration id, or undefined without a session. */
export function remoteRegistrationId(record: SessionRecord): number | undefined {
  return record.current?.remoteRegistrationId;
}

/** The current session's remote identity key (0x05-prefixed), or undefined without a session. */
export function remoteIdentityKey(record: SessionRecord): Uint8Array | undefined {
  return record.current?.remoteIdentityKey;
}

/** True while the current session is an initiator's, still waiting for the peer's first reply. */
export function isAwaitingReply(record: SessionRecord): boolean {
  return record.current?.unacknowledged !== undefined;
}
