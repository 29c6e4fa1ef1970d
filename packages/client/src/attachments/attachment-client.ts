/**
 * `AttachmentClient`: encrypted attachments for one device. Upload files,
 * buffers or streams (Signal's format, @sealpost/protocol/attachments) to
 * the blob service under a capability from the key server; download on
 * demand to a path or a stream, verified before anything is exposed.
 * Emits `progress` ({ phase, done, total }) besides the per-call callback.
 */
import { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ciphertextSize, encryptAttachment, generateAttachmentKeys, type EncryptedAttachmentInfo } from '@sealpost/protocol/attachments';
import { toBase64Url, randomBytes } from '@sealpost/protocol/primitives';
import { ServiceError } from '../errors.ts';
import type { KeyServerClient } from '../keyserver-client.ts';
import type { ClientStore } from '../store/types.ts';
import { downloadBlob, uploadBlob, type TransferOptions } from './blob-transfer.ts';
import { AttachmentError, attachmentErrorForStatus } from './errors.ts';
import type { AttachmentPointer } from './pointer.ts';
import { DownloadStateStore, type DownloadState } from './download-state.ts';
import { cancelDownload, downloadResumable, integrityError, type ResumableDownloadContext } from './resumable-download.ts';
import { UploadStateStore, type UploadState } from './upload-state.ts';
import { decryptAttachmentToFile } from './verified-file.ts';

/** What to upload: a file, bytes in memory, or a stream of known length (streams cannot be resumed). */
export type AttachmentSource = { path: string } | Uint8Array | { stream: AsyncIterable<Uint8Array>; size: number };

/** Pointer fields the sender chooses. */
export type AttachmentMeta = Partial<Pick<AttachmentPointer, 'contentType' | 'fileName' | 'flags' | 'width' | 'height' | 'caption' | 'blurHash' | 'thumbnail'>>;

export interface AttachmentClientOptions {
  keyServer: Pick<KeyServerClient, 'attachmentForm'>;
  store: ClientStore;
  /** Base URL of the blob service (standalone, or the relay's when mounted there). */
  blobUrl: string;
  now?: () => number;
  /** Where stream downloads are verified before they are streamed out (default os.tmpdir()). */
  tempDir?: string;
}

type Progress = TransferOptions['onProgress'];

export class AttachmentClient extends EventEmitter {
  readonly uploads: UploadStateStore;
  readonly downloads: DownloadStateStore;
  private readonly now: () => number;
  private readonly resumable: ResumableDownloadContext;

  constructor(private readonly options: AttachmentClientOptions) {
    super();
    this.uploads = new UploadStateStore(options.store);
    this.downloads = new DownloadStateStore(options.store);
    this.now = options.now ?? Date.now;
    this.resumable = { blobUrl: options.blobUrl, states: this.downloads, now: () => this.now(), active: new Set() };
  }

  private progress(opts: TransferOptions): TransferOptions {
    const cb: Progress = (p) => {
      opts.onProgress?.(p);
      this.emit('progress', p);
    };
    return { ...opts, onProgress: cb };
  }

  private async form(length: number): Promise<{ key: string; token: string; expiresAt: number }> {
    try {
      return await this.options.keyServer.attachmentForm(length);
    } catch (e) {
      if (e instanceof ServiceError) throw attachmentErrorForStatus(e.status, 'attachment form', e.retryAfterSeconds);
      throw new AttachmentError('NETWORK', `key server unreachable: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Encrypts and uploads one attachment; resolves with the pointer to put in a message. */
  async upload(source: AttachmentSource, meta: AttachmentMeta = {}, opts: TransferOptions = {}): Promise<AttachmentPointer> {
    let size: number;
    let read: () => AsyncIterable<Uint8Array> | undefined;
    let state: UploadState | undefined;
    const { key, iv } = generateAttachmentKeys();
    const fullMeta: AttachmentMeta = { ...meta };
    if (source instanceof Uint8Array) {
      size = source.length;
      const copy = source.slice();
      read = () => [copy] as unknown as AsyncIterable<Uint8Array>;
    } else if ('path' in source) {
      const st = await stat(source.path).catch((e: unknown) => {
        throw new AttachmentError('INVALID', `cannot read ${source.path}: ${(e as Error).message}`, { cause: e });
      });
      size = st.size;
      fullMeta.fileName ??= basename(source.path);
      read = () => createReadStream(source.path, { highWaterMark: 256 * 1024 });
      state = { id: toBase64Url(randomBytes(12)), path: source.path, size, mtimeMs: st.mtimeMs, key, iv, blobKey: '', token: '', capabilityExpiresAt: 0, meta: jsonMeta(fullMeta), createdAt: this.now() };
    } else {
      if (!Number.isSafeInteger(source.size) || source.size < 0) throw new AttachmentError('INVALID', 'a stream source needs its exact size');
      size = source.size;
      let used = false;
      read = () => (used ? undefined : ((used = true), source.stream));
    }
    const length = ciphertextSize(size);
    const form = await this.form(length);
    if (state !== undefined) {
      state = { ...state, blobKey: form.key, token: form.token, capabilityExpiresAt: form.expiresAt };
      await this.uploads.put(state);
    }
    const info = await this.transfer(form.key, form.token, length, size, key, iv, read, this.progress(opts), false);
    if (state !== undefined) await this.uploads.delete(state.id);
    return this.pointer(form.key, key, info, fullMeta);
  }

  private async transfer(
    blobKey: string,
    token: string,
    length: number,
    size: number,
    key: Uint8Array,
    iv: Uint8Array,
    read: () => AsyncIterable<Uint8Array> | undefined,
    opts: TransferOptions,
    probeFirst: boolean,
  ): Promise<EncryptedAttachmentInfo> {
    let info: EncryptedAttachmentInfo | undefined;
    const body = (offset: number): AsyncIterable<Uint8Array> | undefined => {
      const src = read();
      if (src === undefined) return undefined;
      const enc = encryptAttachment(src, key, iv, size);
      return (async function* () {
        // CBC with a fixed IV is deterministic: re-encrypt and skip what the server has.
        let skip = offset;
        for await (const chunk of enc.blob) {
          if (skip >= chunk.length) {
            skip -= chunk.length;
            continue;
          }
          yield skip > 0 ? chunk.subarray(skip) : chunk;
          skip = 0;
        }
        info = enc.info();
      })();
    };
    await uploadBlob({ blobUrl: this.options.blobUrl, blobKey, token, length, body }, opts, probeFirst);
    if (info === undefined) {
      // The server already had everything (resumed at the end): one local pass for the digests.
      const src = read();
      if (src === undefined) throw new AttachmentError('NETWORK', 'cannot recompute digests of a stream source');
      const enc = encryptAttachment(src, key, iv, size);
      for await (const _ of enc.blob);
      info = enc.info();
    }
    return info;
  }

  private pointer(cdnKey: string, key: Uint8Array, info: EncryptedAttachmentInfo, meta: AttachmentMeta): AttachmentPointer {
    const p: AttachmentPointer = {
      cdnKey,
      contentType: meta.contentType ?? 'application/octet-stream',
      key,
      size: info.size,
      digest: info.digest,
      incrementalMac: info.incrementalMac,
      chunkSize: info.chunkSize,
      plaintextHash: info.plaintextHash,
      uploadTimestamp: this.now(),
    };
    for (const f of ['fileName', 'flags', 'width', 'height', 'caption', 'blurHash', 'thumbnail'] as const) {
      if (meta[f] !== undefined) (p as unknown as Record<string, unknown>)[f] = meta[f];
    }
    return p;
  }

  /** File uploads that did not finish (e.g. before a restart). */
  pendingUploads(): Promise<UploadState[]> {
    return this.uploads.list();
  }

  /** Finishes every pending file upload; returns their pointers (the app then sends them). */
  async resumeUploads(opts: TransferOptions = {}): Promise<AttachmentPointer[]> {
    const out: AttachmentPointer[] = [];
    for (const s of await this.uploads.list()) out.push(await this.resumeUpload(s.id, opts));
    return out;
  }

  /** Finishes one pending file upload from the offset the blob service has. */
  async resumeUpload(id: string, opts: TransferOptions = {}): Promise<AttachmentPointer> {
    const s = await this.uploads.get(id);
    if (s === undefined) throw new AttachmentError('INVALID', `no pending upload ${id}`);
    const st = await stat(s.path).catch(() => undefined);
    if (st === undefined || st.size !== s.size || st.mtimeMs !== s.mtimeMs) {
      await this.uploads.delete(id);
      throw new AttachmentError('SOURCE_CHANGED', `${s.path} changed since its upload began`);
    }
    if (this.now() >= s.capabilityExpiresAt) {
      await this.uploads.delete(id);
      throw new AttachmentError('EXPIRED', 'the upload capability expired; upload the file again');
    }
    const length = ciphertextSize(s.size);
    const info = await this.transfer(s.blobKey, s.token, length, s.size, s.key, s.iv, () => createReadStream(s.path, { highWaterMark: 256 * 1024 }), this.progress(opts), true);
    await this.uploads.delete(id);
    return this.pointer(s.blobKey, s.key, info, s.meta as AttachmentMeta);
  }

  /**
   * Downloads and verifies an attachment. To `{ path }`: the file appears
   * only after every check passed; the ciphertext received so far is kept in
   * a 0600 partial file beside it and recorded in the store, so calling
   * `download(pointer, { path })` again — also after a restart — continues
   * with a Range request (resumable-download.ts). To a Writable: the
   * verified plaintext is streamed out of a temporary 0600 file that is then
   * removed; such a download resumes after a broken connection but not after
   * a restart (it starts from byte 0 again).
   * Throws AttachmentError (EXPIRED, TAMPERED, NETWORK, ABORTED).
   */
  async download(pointer: AttachmentPointer, dest: { path: string } | Writable, opts: TransferOptions = {}): Promise<{ size: number; plaintextHash: Uint8Array }> {
    if ('path' in dest && typeof dest.path === 'string' && !('write' in dest)) return downloadResumable(this.resumable, pointer, dest.path, this.progress(opts));
    const dir = await mkdtemp(join(this.options.tempDir ?? tmpdir(), 'sealpost-dl-'));
    try {
      const file = join(dir, 'plaintext');
      const r = await this.downloadOnce(pointer, file, opts);
      await pipeline(createReadStream(file), dest as Writable);
      return r;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Downloads to a path that have not completed (e.g. before a restart); continue one with `download(pointer, { path })`. */
  pendingDownloads(): Promise<DownloadState[]> {
    return this.downloads.list();
  }

  /** Drops a pending download's partial ciphertext and state (by state id or pointer); false if there was none. */
  cancelDownload(which: string | AttachmentPointer): Promise<boolean> {
    return cancelDownload(this.resumable, which);
  }

  /** A download that keeps nothing between runs (the stream-sink case). */
  private async downloadOnce(pointer: AttachmentPointer, path: string, opts: TransferOptions): Promise<{ size: number; plaintextHash: Uint8Array }> {
    const length = ciphertextSize(pointer.size);
    const blob = downloadBlob(this.options.blobUrl, pointer.cdnKey, length, this.progress(opts));
    try {
      return await decryptAttachmentToFile(
        blob,
        { key: pointer.key, size: pointer.size, digest: pointer.digest, incrementalMac: pointer.incrementalMac, chunkSize: pointer.chunkSize, plaintextHash: pointer.plaintextHash },
        path,
      );
    } catch (e) {
      throw integrityError(e);
    }
  }
}

function jsonMeta(meta: AttachmentMeta): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(meta)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}
