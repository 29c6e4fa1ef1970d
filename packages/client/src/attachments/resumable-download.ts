/**
 * Downloads to a path that survive a restart. The ciphertext received so far
 * is kept in a 0600 partial file beside the destination (ciphertext only:
 * the plaintext still goes through decryptAttachmentToFile's temp file and
 * appears only after digest and MACs verify) and the download is recorded in
 * the store (download-state.ts). A later `download(pointer, { path })` — in
 * this process or after a restart — verifies and decrypts the stored partial
 * from its first byte (streamed, bounded memory) and continues from the
 * network with a Range request at the partial's length. The partial and its
 * state are removed on success, on TAMPERED, on EXPIRED and on cancel; on
 * NETWORK/ABORTED they stay for the next attempt.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AttachmentIntegrityError, ciphertextSize } from '@sealpost/protocol/attachments';
import { toBase64 } from '../encoding.ts';
import { downloadBlob, type TransferOptions } from './blob-transfer.ts';
import { downloadId, type DownloadState, type DownloadStateStore } from './download-state.ts';
import { AttachmentError } from './errors.ts';
import type { AttachmentPointer } from './pointer.ts';
import { decryptAttachmentToFile } from './verified-file.ts';

/** fsync the partial and record its length in the store every this many bytes. */
const CHECKPOINT_BYTES = 16 * 2 ** 20;

export interface ResumableDownloadContext {
  blobUrl: string;
  states: DownloadStateStore;
  now: () => number;
  /** Ids downloading in this process (one writer per partial file). */
  active: Set<string>;
}

export function integrityError(e: unknown): unknown {
  if (e instanceof AttachmentIntegrityError) return new AttachmentError('TAMPERED', `attachment failed verification: ${e.message}`, { reason: e.reason, cause: e });
  return e;
}

/** The stored state of `pointer`'s download if its partial can be continued, else undefined (and the stale one removed). */
async function usableState(ctx: ResumableDownloadContext, id: string, pointer: AttachmentPointer, length: number): Promise<DownloadState | undefined> {
  const s = await ctx.states.get(id);
  if (s === undefined) return undefined;
  const st = await stat(s.partialPath).catch(() => undefined);
  const same = s.blobKey === pointer.cdnKey && s.digest === toBase64(pointer.digest) && s.total === length;
  if (same && st !== undefined && st.isFile() && st.size <= length && s.received <= st.size) return s;
  await rm(s.partialPath, { force: true });
  await ctx.states.delete(id);
  return undefined;
}

export async function downloadResumable(ctx: ResumableDownloadContext, pointer: AttachmentPointer, path: string, opts: TransferOptions): Promise<{ size: number; plaintextHash: Uint8Array }> {
  const length = ciphertextSize(pointer.size);
  const id = downloadId(pointer.cdnKey, pointer.digest);
  if (ctx.active.has(id)) throw new AttachmentError('INVALID', 'this attachment is already being downloaded by this client');
  ctx.active.add(id);
  let fh: FileHandle | undefined;
  try {
    const now = ctx.now();
    let state = await usableState(ctx, id, pointer, length);
    if (state === undefined) {
      const partialPath = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.ciphertext`);
      state = { id, blobKey: pointer.cdnKey, digest: toBase64(pointer.digest), destPath: path, partialPath, received: 0, total: length, createdAt: now, updatedAt: now };
      await ctx.states.put(state);
    } else if (state.destPath !== path) {
      state = { ...state, destPath: path, updatedAt: now };
      await ctx.states.put(state);
    }
    const start = state.received;
    const stateId = state.id;
    fh = await open(state.partialPath, start > 0 ? 'r+' : 'w', 0o600).catch(async (e: unknown) => {
      await ctx.states.delete(stateId);
      throw new AttachmentError('INVALID', `cannot write beside ${path}: ${(e as Error).message}`, { cause: e });
    });
    await fh.chmod(0o600);
    // Bytes past the last checkpoint may not have reached the disk intact: drop them.
    await fh.truncate(start);
    const file = fh;
    let written = start;
    let synced = start;
    // One write in flight, overlapping the verifier's work on the same chunk (written in order).
    let writing: Promise<unknown> = Promise.resolve();
    const checkpoint = async (): Promise<void> => {
      await writing;
      if (written === synced) return;
      await file.datasync();
      synced = written;
      state = { ...state!, received: synced, updatedAt: ctx.now() };
      await ctx.states.put(state);
    };
    const partialPath = state.partialPath;
    const source = async function* (): AsyncGenerator<Uint8Array> {
      if (start > 0) yield* createReadStream(partialPath, { start: 0, end: start - 1, highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
      for await (const chunk of downloadBlob(ctx.blobUrl, pointer.cdnKey, length, opts, start)) {
        await writing;
        writing = file.write(chunk, 0, chunk.length, written);
        writing.catch(() => undefined); // awaited above / in checkpoint; never unhandled
        written += chunk.length;
        if (written - synced >= CHECKPOINT_BYTES) await checkpoint();
        yield chunk;
      }
    };
    try {
      const params = { key: pointer.key, size: pointer.size, digest: pointer.digest, incrementalMac: pointer.incrementalMac, chunkSize: pointer.chunkSize, plaintextHash: pointer.plaintextHash };
      const result = await decryptAttachmentToFile(source(), params, path);
      await writing.catch(() => undefined); // the partial is discarded now either way
      await discard(ctx, id, partialPath, fh);
      fh = undefined;
      return result;
    } catch (e) {
      const err = integrityError(e);
      if (err instanceof AttachmentError && (err.code === 'TAMPERED' || err.code === 'EXPIRED')) {
        await discard(ctx, id, partialPath, fh);
        fh = undefined;
      } else {
        await checkpoint().catch(() => undefined);
      }
      throw err;
    }
  } finally {
    await fh?.close().catch(() => undefined);
    ctx.active.delete(id);
  }
}

async function discard(ctx: ResumableDownloadContext, id: string, partialPath: string, fh: FileHandle | undefined): Promise<void> {
  await fh?.close().catch(() => undefined);
  await rm(partialPath, { force: true });
  await ctx.states.delete(id);
}

/** Removes a pending download's partial file and state (by state id or pointer). */
export async function cancelDownload(ctx: ResumableDownloadContext, which: string | AttachmentPointer): Promise<boolean> {
  const id = typeof which === 'string' ? which : downloadId(which.cdnKey, which.digest);
  if (ctx.active.has(id)) throw new AttachmentError('INVALID', 'this download is running; abort it (signal) before cancelling');
  const s = await ctx.states.get(id);
  if (s === undefined) return false;
  await discard(ctx, id, s.partialPath, undefined);
  return true;
}
