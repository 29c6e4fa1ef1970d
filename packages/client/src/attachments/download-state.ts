/**
 * Where downloads to a path live between runs: a store role over the client
 * store's `settings` table (`attachment-download:<id>` → JSON, plus an
 * index), like upload-state.ts. It names the blob (key + digest), the 0600
 * partial file holding the ciphertext received so far, and how many of its
 * bytes were fsynced; it holds no attachment key. It goes away when the
 * download completes, fails verification, or is cancelled.
 */
import { createHash } from 'node:crypto';
import type { ClientStore } from '../store/types.ts';
import { SettingsRecords } from './settings-records.ts';

/** One unfinished download to a path. */
export interface DownloadState {
  /** Derived from blob key + digest (one state per blob). */
  id: string;
  blobKey: string;
  /** The pointer's digest, base64. */
  digest: string;
  /** Where the verified plaintext will appear. */
  destPath: string;
  /** The ciphertext received so far (mode 0600, beside the destination). */
  partialPath: string;
  /** Ciphertext bytes in the partial file known to be on disk (fsynced). */
  received: number;
  /** Ciphertext length of the whole blob. */
  total: number;
  createdAt: number;
  updatedAt: number;
}

/** The state id of a blob: a hash of its key and digest. */
export function downloadId(blobKey: string, digest: Uint8Array): string {
  return createHash('sha256').update(blobKey).update('\0').update(digest).digest('base64url').slice(0, 22);
}

/** The `attachmentDownloads` role. */
export class DownloadStateStore {
  private readonly records: SettingsRecords;

  constructor(store: ClientStore) {
    this.records = new SettingsRecords(store, 'attachment-download');
  }

  async put(s: DownloadState): Promise<void> {
    await this.records.put(s.id, JSON.stringify(s));
  }

  async get(id: string): Promise<DownloadState | undefined> {
    const text = await this.records.get(id);
    return text === undefined ? undefined : (JSON.parse(text) as DownloadState);
  }

  async list(): Promise<DownloadState[]> {
    return this.records.list((json) => JSON.parse(json) as DownloadState);
  }

  async delete(id: string): Promise<void> {
    await this.records.delete(id);
  }
}
