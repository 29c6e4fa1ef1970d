/**
 * Where resumable uploads live between runs: a store role over the client
 * store's `settings` table (`attachment-upload:<id>` → JSON, plus an index),
 * so it needs no schema migration and works on every ClientStore. It holds
 * the attachment key and IV (the resume re-encrypts deterministically) and
 * the capability; it goes away when the upload completes.
 */
import type { ClientStore } from '../store/types.ts';
import { SettingsRecords } from './settings-records.ts';
import { fromBase64, toBase64 } from '../encoding.ts';

/** One unfinished upload. */
export interface UploadState {
  id: string;
  /** Source file (only file uploads survive a restart). */
  path: string;
  /** Size and mtime of the file when the upload began. */
  size: number;
  mtimeMs: number;
  key: Uint8Array;
  iv: Uint8Array;
  blobKey: string;
  token: string;
  capabilityExpiresAt: number;
  /** Pointer metadata (contentType, fileName, width, …) as JSON-safe values. */
  meta: Record<string, string | number>;
  createdAt: number;
}

function decodeUploadState(json: string): UploadState {
  const raw = JSON.parse(json) as Omit<UploadState, 'key' | 'iv'> & { key: string; iv: string };
  return { ...raw, key: fromBase64('upload key', raw.key), iv: fromBase64('upload iv', raw.iv) };
}

/** The `attachmentUploads` role. */
export class UploadStateStore {
  private readonly records: SettingsRecords;

  constructor(store: ClientStore) {
    this.records = new SettingsRecords(store, 'attachment-upload');
  }

  async put(s: UploadState): Promise<void> {
    await this.records.put(s.id, JSON.stringify({ ...s, key: toBase64(s.key), iv: toBase64(s.iv) }));
  }

  async get(id: string): Promise<UploadState | undefined> {
    const text = await this.records.get(id);
    return text === undefined ? undefined : decodeUploadState(text);
  }

  async list(): Promise<UploadState[]> {
    return this.records.list(decodeUploadState);
  }

  async delete(id: string): Promise<void> {
    await this.records.delete(id);
  }
}
