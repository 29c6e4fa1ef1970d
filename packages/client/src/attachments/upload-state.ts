/**
 * Where resumable uploads live between runs: a store role over the client
 * store's `settings` table (`attachment-upload:<id>` → JSON, plus an index),
 * so it needs no schema migration and works on every ClientStore. It holds
 * the attachment key and IV (the resume re-encrypts deterministically) and
 * the capability; it goes away when the upload completes.
 */
import type { ClientStore } from '../store/types.ts';
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

const INDEX = 'attachment-upload:index';
const itemKey = (id: string) => `attachment-upload:${id}`;

/** The `attachmentUploads` role. */
export class UploadStateStore {
  constructor(private readonly store: ClientStore) {}

  private async index(): Promise<string[]> {
    const text = await this.store.settings.get(INDEX);
    return text === undefined || text === '' ? [] : (JSON.parse(text) as string[]);
  }

  async put(s: UploadState): Promise<void> {
    const value = JSON.stringify({ ...s, key: toBase64(s.key), iv: toBase64(s.iv) });
    await this.store.transaction(async (tx) => {
      const text = await tx.settings.get(INDEX);
      const ids = text === undefined || text === '' ? [] : (JSON.parse(text) as string[]);
      if (!ids.includes(s.id)) ids.push(s.id);
      await tx.settings.set(itemKey(s.id), value);
      await tx.settings.set(INDEX, JSON.stringify(ids));
    });
  }

  async get(id: string): Promise<UploadState | undefined> {
    const text = await this.store.settings.get(itemKey(id));
    if (text === undefined || text === '') return undefined;
    const raw = JSON.parse(text) as Omit<UploadState, 'key' | 'iv'> & { key: string; iv: string };
    return { ...raw, key: fromBase64('upload key', raw.key), iv: fromBase64('upload iv', raw.iv) };
  }

  async list(): Promise<UploadState[]> {
    const out: UploadState[] = [];
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
