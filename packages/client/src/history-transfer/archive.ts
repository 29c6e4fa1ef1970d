/**
 * The archive's plaintext (`proto/history_archive.proto`): the primary's
 * history rows with their exact content bytes and the contacts' profile keys
 * of the peers they name. Decoding is strict and bounded: anything off is
 * `HistoryTransferError('HISTORY_TRANSFER_INVALID')`, before anything is
 * imported.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { decodeContent } from '../content.ts';
import { HistoryArchiveSchema, HistoryContactSchema, HistoryRowSchema } from '../gen/history_archive_pb.ts';
import type { Contact, MessageDirection } from '../store/types.ts';
import { HistoryTransferError } from './errors.ts';

export const HISTORY_ARCHIVE_VERSION = 1;
/** Most rows an archive may hold, whatever the options. */
export const HISTORY_ARCHIVE_MAX_ROWS = 100_000;
/** Largest content of one row (the relay's envelope cap). */
export const HISTORY_ROW_MAX_CONTENT = 256 * 1024;
const MAX_ACCOUNT = 64;
const MAX_PEER = 128;

/** One transferred row: what the new device stores. */
export interface ArchiveRow {
  peer: string;
  sender: { account: string; device: number };
  timestamp: number;
  direction: MessageDirection;
  content: Uint8Array;
  storedAt: number;
  /** When it was read (received messages); undefined: unread. */
  readAt?: number;
}

export interface Archive {
  createdAt: number;
  rows: ArchiveRow[];
  contacts: Contact[];
}

export function encodeArchive(a: Archive): Uint8Array {
  return toBinary(
    HistoryArchiveSchema,
    create(HistoryArchiveSchema, {
      version: HISTORY_ARCHIVE_VERSION,
      createdAt: BigInt(a.createdAt),
      rows: a.rows.map((r) =>
        create(HistoryRowSchema, {
          peer: r.peer,
          senderAccount: r.sender.account,
          senderDevice: r.sender.device,
          timestamp: BigInt(r.timestamp),
          outgoing: r.direction === 'out',
          content: r.content,
          storedAt: BigInt(r.storedAt),
          readAt: BigInt(r.readAt ?? 0),
        }),
      ),
      contacts: a.contacts.map((c) => create(HistoryContactSchema, { account: c.account, profileKey: c.profileKey, updatedAt: BigInt(c.updatedAt) })),
    }),
  );
}

function invalid(message: string, cause?: unknown): never {
  throw new HistoryTransferError('HISTORY_TRANSFER_INVALID', `history archive: ${message}`, cause === undefined ? undefined : { cause });
}

function time(name: string, v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) invalid(`${name} out of range`);
  return Number(v);
}

/** Decodes and checks an archive; `expectedRows`: the count the pointer message announced. */
export function decodeArchive(bytes: Uint8Array, expectedRows: number): Archive {
  let m;
  try {
    m = fromBinary(HistoryArchiveSchema, bytes);
  } catch (e) {
    invalid('not a HistoryArchive', e);
  }
  if (m.version !== HISTORY_ARCHIVE_VERSION) invalid(`version ${m.version} is not supported`);
  if (m.rows.length > HISTORY_ARCHIVE_MAX_ROWS) invalid(`${m.rows.length} rows exceed ${HISTORY_ARCHIVE_MAX_ROWS}`);
  if (m.rows.length !== expectedRows) invalid(`holds ${m.rows.length} rows, the offer said ${expectedRows}`);
  if (m.contacts.length > HISTORY_ARCHIVE_MAX_ROWS) invalid('too many contacts');
  const rows = m.rows.map((r, i): ArchiveRow => {
    if (r.peer.length === 0 || r.peer.length > MAX_PEER || r.senderAccount.length === 0 || r.senderAccount.length > MAX_ACCOUNT) invalid(`row ${i}: peer or sender missing or too long`);
    if (r.senderDevice < 1 || r.senderDevice > 0x7fffffff) invalid(`row ${i}: sender device out of range`);
    if (r.content.length === 0 || r.content.length > HISTORY_ROW_MAX_CONTENT) invalid(`row ${i}: content empty or larger than ${HISTORY_ROW_MAX_CONTENT} bytes`);
    const timestamp = time(`row ${i} timestamp`, r.timestamp);
    try {
      decodeContent(r.content);
    } catch (e) {
      invalid(`row ${i}: content is not a valid Content`, e);
    }
    const row: ArchiveRow = {
      peer: r.peer,
      sender: { account: r.senderAccount, device: r.senderDevice },
      timestamp,
      direction: r.outgoing ? 'out' : 'in',
      content: r.content.slice(),
      storedAt: time(`row ${i} storedAt`, r.storedAt),
    };
    if (r.readAt !== 0n) row.readAt = time(`row ${i} readAt`, r.readAt);
    return row;
  });
  const contacts = m.contacts.map((c, i): Contact => {
    if (c.account.length === 0 || c.account.length > MAX_ACCOUNT || c.profileKey.length !== 32) invalid(`contact ${i}: account or profile key malformed`);
    return { account: c.account, profileKey: c.profileKey.slice(), updatedAt: time(`contact ${i} updatedAt`, c.updatedAt) };
  });
  return { createdAt: time('createdAt', m.createdAt), rows, contacts };
}
