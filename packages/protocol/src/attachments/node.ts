/**
 * Node glue for the attachment engines (`@sealpost/protocol/attachments/node`):
 * async-iterable encryption, and decryption into a file that appears only
 * once every check has passed. Memory is bounded by the chunks the source
 * yields (a stream's highWaterMark), never by the file size.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AttachmentDecryptor, type AttachmentDecryptParams } from './decryptor.ts';
import { AttachmentEncryptor, type EncryptedAttachmentInfo } from './encryptor.ts';

export * from './index.ts';

const WRITE_BATCH = 1024 * 1024;

/** Anything that yields bytes: a Readable, a web stream's async iterator, a generator. */
export type ByteSource = AsyncIterable<Uint8Array | Buffer | string> | Iterable<Uint8Array>;

function asBytes(chunk: Uint8Array | Buffer | string): Uint8Array {
  if (typeof chunk === 'string') throw new TypeError('attachment sources must yield bytes, not strings');
  return chunk;
}

/**
 * Encrypts `source` (exactly `size` bytes) with `key`/`iv`; yields the blob.
 * `info()` gives the digests once the iterator is exhausted.
 */
export function encryptAttachment(
  source: ByteSource,
  key: Uint8Array,
  iv: Uint8Array,
  size: number,
): { ciphertextSize: number; blob: AsyncGenerator<Uint8Array>; info(): EncryptedAttachmentInfo } {
  const enc = new AttachmentEncryptor(key, iv, size);
  async function* blob(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source as AsyncIterable<Uint8Array>) yield* enc.update(asBytes(chunk));
    yield* enc.finish();
  }
  return { ciphertextSize: enc.ciphertextSize, blob: blob(), info: () => enc.result() };
}

/**
 * Decrypts `source` into `destPath`. Plaintext is written to a temporary
 * file (mode 0600) beside it, fsynced, and renamed to `destPath` only after
 * the length, digest, incremental MAC, MAC and padding have verified; on any
 * failure the temporary file is removed and nothing exists at `destPath`
 * that this call made. Throws AttachmentIntegrityError for bad blobs.
 */
export async function decryptAttachmentToFile(
  source: ByteSource,
  params: AttachmentDecryptParams,
  destPath: string,
): Promise<{ size: number; plaintextHash: Uint8Array }> {
  const dec = new AttachmentDecryptor(params);
  const temp = join(dirname(destPath), `.${basename(destPath)}.${randomBytes(8).toString('hex')}.partial`);
  const file = await open(temp, 'wx', 0o600);
  let ok = false;
  try {
    // Writes are batched (up to WRITE_BATCH bytes per writev): one await per small network chunk is slow.
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pending.length > 0) await file.writev(pending);
      pending = [];
      pendingBytes = 0;
    };
    const write = async (parts: Uint8Array[]): Promise<void> => {
      for (const p of parts) {
        if (p.length === 0) continue;
        pending.push(p);
        pendingBytes += p.length;
      }
      if (pendingBytes >= WRITE_BATCH) await flush();
    };
    for await (const chunk of source as AsyncIterable<Uint8Array>) await write(dec.update(asBytes(chunk)));
    const { plaintext, plaintextHash } = dec.final();
    await write(plaintext);
    await flush();
    await file.sync();
    await file.close();
    await rename(temp, destPath);
    ok = true;
    return { size: params.size, plaintextHash };
  } finally {
    if (!ok) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
    }
  }
}
