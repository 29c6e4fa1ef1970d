/** Options, events and the blob seam of history transfer (docs/history-transfer.md). */
import type { AttachmentPointer } from '../attachments/pointer.ts';

/** The `historyTransfer` client option. */
export interface HistoryTransferOptions {
  /**
   * On a primary: offer history to devices it links (default true); on a new
   * device: ask for the offered history (default true). False declines or refuses.
   */
  enabled?: boolean;
  /** Most messages in an archive, newest kept (default 1000). */
  maxMessages?: number;
  /** Oldest message in an archive, by its timestamp: now − maxAgeMs (default 30 days). */
  maxAgeMs?: number;
  /** How long an offer made at `approveLink` can be taken up, ms (default 1 hour). */
  offerTtlMs?: number;
  /** Largest archive, plaintext bytes (default 64 MiB): the primary leaves out the oldest rows to stay within it; a new device downloads nothing larger. */
  maxArchiveBytes?: number;
  /** New device: asked before downloading an archive; false refuses it. */
  accept?: (offer: HistoryOffer) => boolean | Promise<boolean>;
  /** Where archives go (on a Node client: `historyBlobsOf(attachmentClient)` from `@sealpost/client/attachments`). */
  blobs?: HistoryBlobs;
}

/** What a new device is offered before it downloads. */
export interface HistoryOffer {
  messages: number;
  conversations: number;
  /** Archive plaintext size, bytes. */
  bytes: number;
}

/**
 * The blob service as history transfer needs it: an encrypted upload of a
 * buffer (a fresh key, digest and incremental MAC per upload: the attachment
 * cipher) and a verified download into memory. `AttachmentError`s pass
 * through (a failed verification is `code: 'TAMPERED'`).
 */
export interface HistoryBlobs {
  upload(plaintext: Uint8Array, onProgress: (p: { done: number; total: number }) => void): Promise<AttachmentPointer>;
  download(pointer: AttachmentPointer, onProgress: (p: { done: number; total: number }) => void): Promise<Uint8Array>;
}

/** `historyTransfer` event phases. */
export type HistoryTransferPhase =
  /** primary: an offer went into a provisioning message */
  | 'offered'
  /** primary: the new device asked; building the archive */
  | 'requested'
  /** primary: uploading (`done`/`total` ciphertext bytes) */
  | 'uploading'
  /** primary: the pointer went to the new device */
  | 'sent'
  /** primary: declined (option off, offer expired); new device: the primary declined */
  | 'declined'
  /** new device: asked the primary */
  | 'requesting'
  /** new device: downloading (`done`/`total`) */
  | 'downloading'
  /** new device: verified, importing in one transaction */
  | 'importing'
  /** new device: imported (`imported`, `skipped`) */
  | 'done'
  /** new device: refused (option off, or `accept` said no) */
  | 'refused'
  /** either side: failed with `error` (on the new device nothing was imported) */
  | 'failed';

/** The `historyTransfer` event. */
export interface HistoryTransferEvent {
  role: 'primary' | 'new-device';
  phase: HistoryTransferPhase;
  /** The offer, 32 hex digits. */
  transferId: string;
  /** primary: the new device's id. */
  device?: number;
  done?: number;
  total?: number;
  messages?: number;
  conversations?: number;
  imported?: number;
  skipped?: number;
  error?: unknown;
}

export const DEFAULT_HISTORY_TRANSFER = {
  enabled: true,
  maxMessages: 1000,
  maxAgeMs: 30 * 24 * 3600_000,
  offerTtlMs: 3600_000,
  maxArchiveBytes: 64 * 2 ** 20,
} as const;
