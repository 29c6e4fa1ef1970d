/**
 * History transfer's blob seam over an `AttachmentClient` (Node): the
 * archive is uploaded as an ordinary attachment (attachment cipher: fresh
 * 64-byte key and IV, digest, incremental MAC; tus, resumable within the
 * process) and downloaded verified into memory (the archive is bounded by
 * `maxArchiveBytes`).
 */
import { Writable } from 'node:stream';
import type { HistoryBlobs } from '../history-transfer/options.ts';
import type { AttachmentClient } from './attachment-client.ts';

/** The archive's content type on the pointer (never seen by the blob service). */
export const HISTORY_ARCHIVE_CONTENT_TYPE = 'application/x-sealpost-history';

export function historyBlobsOf(attachments: AttachmentClient): HistoryBlobs {
  return {
    upload: (plaintext, onProgress) => attachments.upload(plaintext, { contentType: HISTORY_ARCHIVE_CONTENT_TYPE }, { onProgress }),
    async download(pointer, onProgress) {
      const parts: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          parts.push(chunk);
          callback();
        },
      });
      await attachments.download(pointer, sink, { onProgress });
      return new Uint8Array(Buffer.concat(parts));
    },
  };
}
