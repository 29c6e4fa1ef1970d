/** Encrypted attachments and link previews (see attachment-client.ts). */
export { AttachmentClient, type AttachmentClientOptions, type AttachmentMeta, type AttachmentSource } from './attachment-client.ts';
export { AttachmentError, type AttachmentErrorCode } from './errors.ts';
export type { AttachmentPointer, LinkPreview } from './pointer.ts';
export type { TransferOptions, TransferProgress } from './blob-transfer.ts';
export type { UploadState } from './upload-state.ts';
export type { DownloadState } from './download-state.ts';
export { decryptAttachmentToFile } from './verified-file.ts';
export { historyBlobsOf, HISTORY_ARCHIVE_CONTENT_TYPE } from './history-blobs.ts';
