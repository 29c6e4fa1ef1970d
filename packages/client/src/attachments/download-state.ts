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

const INDEX = 'attachment-download:index';
const itemKey = (id: string) => `attachment-download:${id}`;

/** The state id of a blob: a hash of its key and digest. */
export function downloadId(blobKey: string, digest: Uint8Array): string {
  return createHash('sha256').update(blobKey).update('\0').update(digest).digest('base64url').slice(0, 22);
}

/** The `attachmentDownloads` role. */
export class DownloadStateStore {
  constructor(private readonly store: ClientStore) {}

  private async index(): Promise<string[]> {
    const text = await this.store.settings.get(INDEX);
    return text === undefined || text === '' ? [] : (JSON.parse(text) as string[]);
  }

  async put(s: DownloadState): Promise<void> {
    const value = JSON.stringify(s);
    await this.store.transaction(async (tx) => {
      const text = await tx.settings.get(INDEX);
      const ids = text === undefined || text === '' ? [] : (JSON.parse(text) as string[]);
      if (!ids.includes(s.id)) ids.push(s.id);
      await tx.settings.set(itemKey(s.id), value);
      await tx.settings.set(INDEX, JSON.stringify(ids));
    });
  }

  async get(id: string): Promise<DownloadState | undefined> {
    const text = await this.store.settings.get(itemKey(id));
    if (text === undefined || text === '') return undefined;
    return JSON.parse(text) as DownloadState;
  }

  async list(): Promise<DownloadState[]> {
    const out: DownloadState[] = [];
    for (const id of await this.index()) {
      const s = await this.get(id);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  async delete(id: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const text = await tx.settings.get(INDEX);
      const ids = text === undefined || text === '' ? [] : (JSON.parse(text) as string[]);
      await tx.settings.set(itemKey(id), '');
      await tx.settings.set(INDEX, JSON.stringify(ids.filter((x) => x !== id)));
    });
  }
}
