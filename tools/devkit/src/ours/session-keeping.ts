/**
 * Where an `OursPeer` keeps its session records: serialized (libsignal's
 * RecordStructure bytes, replaced only after a successful step, as the
 * client's store does — what the interop tests use, so a failed decrypt can
 * be checked to have left the stored bytes untouched) or live (the immutable
 * `SessionRecord` values the core returns — what the benchmark uses).
 */
import { deserializeSessionRecord, serializeSessionRecord, type SessionRecord } from '@sealpost/protocol';
import { equalBytes } from '@sealpost/protocol/primitives';

export interface SessionKeeping {
  load(remote: string): SessionRecord | undefined;
  save(remote: string, record: SessionRecord): void;
  delete(remote: string): void;
  /** The record's serialized bytes (what would be persisted), or undefined. */
  bytes(remote: string): Uint8Array | undefined;
  /** False when the stored record is no longer what `record` (loaded before a failed step) serializes to. */
  unchanged(remote: string, record: SessionRecord): boolean;
}

/** Records kept as serialized bytes; `byRemote` is the map itself, for byte-level checks. */
export class SerializedSessions implements SessionKeeping {
  readonly byRemote = new Map<string, Uint8Array>();

  load(remote: string): SessionRecord | undefined {
    const bytes = this.byRemote.get(remote);
    return bytes === undefined ? undefined : deserializeSessionRecord(bytes);
  }

  save(remote: string, record: SessionRecord): void {
    this.byRemote.set(remote, serializeSessionRecord(record));
  }

  delete(remote: string): void {
    this.byRemote.delete(remote);
  }

  bytes(remote: string): Uint8Array | undefined {
    return this.byRemote.get(remote);
  }

  unchanged(remote: string, record: SessionRecord): boolean {
    const stored = this.byRemote.get(remote);
    return stored === undefined || equalBytes(serializeSessionRecord(record), stored);
  }
}

/** Records kept as the immutable values the core returns. */
export class LiveSessions implements SessionKeeping {
  readonly byRemote = new Map<string, SessionRecord>();

  load(remote: string): SessionRecord | undefined {
    return this.byRemote.get(remote);
  }

  save(remote: string, record: SessionRecord): void {
    this.byRemote.set(remote, record);
  }

  delete(remote: string): void {
    this.byRemote.delete(remote);
  }

  bytes(remote: string): Uint8Array | undefined {
    const record = this.byRemote.get(remote);
    return record === undefined ? undefined : serializeSessionRecord(record);
  }

  unchanged(remote: string, record: SessionRecord): boolean {
    return this.byRemote.get(remote) === record;
  }
}
