/**
 * The log tree's leaves: `struct { uint64 timestamp; opaque prefix_tree[32]; } LogEntry`
 * (draft §"Log Tree"): the time (ms since the epoch) an entry was sequenced
 * and the prefix-tree root after its updates. Under suite 0xF001 the leaf
 * hash is RFC 6962's SHA-256(0x00 ‖ LogEntry) (log-tree.ts hashLeaf).
 */
import { ByteReader, ByteWriter } from './codec.ts';
import { ensure } from './errors.ts';
import { HASH_SIZE, hashLeaf } from './log-tree.ts';

export const LOG_ENTRY_SIZE = 40;

export interface LogEntry {
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** The prefix-tree root after this entry's updates. */
  prefixRoot: Uint8Array;
}

export function encodeLogEntry(entry: LogEntry): Uint8Array {
  ensure(entry.prefixRoot instanceof Uint8Array && entry.prefixRoot.length === HASH_SIZE, 'INVALID_ARGUMENT', 'a prefix root is 32 bytes');
  return new ByteWriter().uint64(entry.timestamp).bytes(entry.prefixRoot).finish();
}

export function readLogEntry(r: ByteReader): LogEntry {
  return { timestamp: r.uint64(), prefixRoot: r.bytes(HASH_SIZE) };
}

export function decodeLogEntry(bytes: Uint8Array): LogEntry {
  const r = new ByteReader(bytes, 'LogEntry');
  const e = readLogEntry(r);
  r.end();
  return e;
}

/** The log-tree leaf hash of an entry. */
export function logEntryLeafHash(entry: LogEntry): Uint8Array {
  return hashLeaf(encodeLogEntry(entry));
}
