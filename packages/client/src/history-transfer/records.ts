/**
 * What history transfer keeps in the settings role (no schema migration):
 * on the primary, its open offers (`history-transfer:offers`, by id); on the
 * new device, the offer it was given (`history-transfer:pending`) and an
 * archive pointer received but not yet imported (`history-transfer:archive`).
 * The pointer holds the archive key, so it lives only as long as the import.
 */
import { fromBase64, toBase64 } from '../encoding.ts';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { pointerFromProto, pointerToProto, type AttachmentPointer } from '../attachments/pointer.ts';
import { AttachmentPointerSchema } from '../gen/content_pb.ts';
import type { SettingsStore } from '../store/types.ts';

export const PENDING_KEY = 'history-transfer:pending';
export const ARCHIVE_KEY = 'history-transfer:archive';
export const OFFERS_KEY = 'history-transfer:offers';

/** A primary's offer: when it lapses, and the device that took it up (once one asked). */
export interface OfferRecord {
  expiresAt: number;
  device?: number;
  /** How many archives were made for it (bounded: `MAX_ANSWERS_PER_OFFER`). */
  answers?: number;
}

/** The primary's open offers by transfer id (hex); lapsed ones are dropped on every write. */
export type OfferRecords = Record<string, OfferRecord>;

/** The new device's offer (from its provisioning message). */
export interface PendingRecord {
  transferId: string;
}

/** A received archive pointer awaiting import. */
export interface ArchiveRecord {
  transferId: string;
  /** `pointerToText` of the archive pointer. */
  pointer: string;
  messages: number;
  conversations: number;
}

function parse<T>(text: string | undefined): T | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export async function readJson<T>(settings: SettingsStore, key: string): Promise<T | undefined> {
  return parse<T>(await settings.get(key));
}

export async function writeJson(settings: SettingsStore, key: string, value: unknown): Promise<void> {
  await settings.set(key, value === undefined ? '' : JSON.stringify(value));
}

/** A pointer as stored: its protobuf form (Content field 13's message), base64. */
export function pointerToText(p: AttachmentPointer): string {
  return toBase64(toBinary(AttachmentPointerSchema, pointerToProto(p)));
}

export function pointerFromText(text: string): AttachmentPointer {
  return pointerFromProto(fromBinary(AttachmentPointerSchema, fromBase64('archive pointer', text)));
}
