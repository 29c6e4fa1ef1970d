/**
 * Stream glue for the attachment engines, still platform-neutral (no node:*):
 * async-iterable encryption, and decryption into a caller's `PlaintextSink`
 * that is committed only once every check has passed (aborted otherwise).
 * @sealpost/client's `decryptAttachmentToFile` is such a sink over a 0600
 * temporary file renamed into place on commit. Memory is bounded by the
 * chunks the source yields (a stream's highWaterMark), never the file size.
 */
import { AttachmentDecryptor, type AttachmentDecryptParams } from './decryptor.ts';
import { AttachmentEncryptor, type EncryptedAttachmentInfo } from './encryptor.ts';

/** Anything that yields bytes: a Readable, a web stream's async iterator, a generator. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Where verified plaintext goes: written incrementally, exposed only by `commit()`. */
export interface PlaintextSink {
  /** Unverified plaintext, in order; must not be exposed before `commit()`. */
  write(parts: Uint8Array[]): Promise<void>;
  /** Everything verified: make the plaintext visible (e.g. fsync + rename). */
  commit(): Promise<void>;
  /** Verification failed or the source broke: discard everything written. */
  abort(): Promise<void>;
}

function asBytes(chunk: unknown): Uint8Array {
  if (!(chunk instanceof Uint8Array)) throw new TypeError('attachment sources must yield bytes');
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
    for await (const chunk of source) yield* enc.update(asBytes(chunk));
    yield* enc.finish();
  }
  return { ciphertextSize: enc.ciphertextSize, blob: blob(), info: () => enc.result() };
}

/** Plaintext is handed to the sink in batches of about this many bytes. */
const SINK_BATCH = 1024 * 1024;

/**
 * Decrypts `source` into `sink`: `commit()` only after the length, the
 * incremental MAC, the digest, the HMAC and the padding verified; `abort()`
 * on any failure (AttachmentIntegrityError, a source or sink error), which
 * is then rethrown.
 */
export async function decryptAttachmentToSink(source: ByteSource, params: AttachmentDecryptParams, sink: PlaintextSink): Promise<{ size: number; plaintextHash: Uint8Array }> {
  let committed = false;
  try {
    const dec = new AttachmentDecryptor(params);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pending.length > 0) await sink.write(pending);
      pending = [];
      pendingBytes = 0;
    };
    const add = async (parts: Uint8Array[]): Promise<void> => {
      for (const p of parts) {
        if (p.length === 0) continue;
        pending.push(p);
        pendingBytes += p.length;
      }
      if (pendingBytes >= SINK_BATCH) await flush();
    };
    for await (const chunk of source) await add(dec.update(asBytes(chunk)));
    const { plaintext, plaintextHash } = dec.final();
    await add(plaintext);
    await flush();
    await sink.commit();
    committed = true;
    return { size: params.size, plaintextHash };
  } finally {
    if (!committed) await sink.abort().catch(() => undefined);
  }
}
