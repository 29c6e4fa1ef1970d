/**
 * `decryptAttachmentToFile`: the protocol's decryption into a sink that is a
 * temporary file (mode 0600, created exclusively beside the destination),
 * fsynced and renamed to `destPath` only on commit — i.e. after every check
 * passed — and removed on abort, so no unverified plaintext is ever visible
 * at `destPath`.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decryptAttachmentToSink, type AttachmentDecryptParams, type ByteSource, type PlaintextSink } from '@sealpost/protocol/attachments';

function tempFileSink(destPath: string): PlaintextSink {
  const temp = join(dirname(destPath), `.${basename(destPath)}.${randomBytes(8).toString('hex')}.partial`);
  let file: FileHandle | undefined;
  const handle = async (): Promise<FileHandle> => (file ??= await open(temp, 'wx', 0o600));
  return {
    async write(parts) {
      await (await handle()).writev(parts);
    },
    async commit() {
      const f = await handle();
      await f.sync();
      await f.close();
      file = undefined;
      await rename(temp, destPath);
    },
    async abort() {
      await file?.close().catch(() => undefined);
      file = undefined;
      await rm(temp, { force: true });
    },
  };
}

/** Decrypts and verifies `source` into `destPath` (see above). Throws AttachmentIntegrityError for bad blobs. */
export function decryptAttachmentToFile(source: ByteSource, params: AttachmentDecryptParams, destPath: string): Promise<{ size: number; plaintextHash: Uint8Array }> {
  return decryptAttachmentToSink(source, params, tempFileSink(destPath));
}
