/**
 * `sendFiles`: one message carrying several files. Images (`image/*`, given
 * or sniffed) go through `prepareImage` first (metadata stripped, upright,
 * thumbnail uploaded as its own attachment, width/height/blurhash in the
 * pointer); other files are uploaded as they are. An opt-in link preview for
 * the first https URL in the text is fetched by the sender and its image
 * uploaded too. Progress is reported over all uploads of the message
 * (ciphertext bytes done/total), then the message goes out with every
 * pointer. Nothing is sent if any upload fails.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { ciphertextSize } from '@sealpost/protocol/attachments';
import type { AttachmentClient, AttachmentSource } from '../attachments/attachment-client.ts';
import type { TransferOptions, TransferProgress } from '../attachments/blob-transfer.ts';
import { AttachmentError } from '../attachments/errors.ts';
import type { AttachmentPointer, LinkPreview } from '../attachments/pointer.ts';
import type { SentMessage } from '../client-types.ts';
import type { OutgoingMessage } from '../outgoing.ts';
import { LinkPreviewError } from './errors.ts';
import { fetchLinkPreview, type FetchedLinkPreview, type LinkPreviewOptions } from './link-preview.ts';
import { uploadLinkPreview, uploadPreparedImage } from './media-upload.ts';
import { DEFAULT_IMAGE_LIMITS, prepareImage, type PrepareImageOptions, type PreparedImage } from './prepare-image.ts';

/** One file of a message. */
export interface FileToSend {
  /** A file, bytes, or a stream of known size. */
  source: AttachmentSource;
  /** Media type; sniffed from the bytes when absent (paths and bytes), else `application/octet-stream`. */
  contentType?: string;
  /** Sent as the pointer's file name. Default: the path's base name for files; none for images (a camera's name is metadata). */
  fileName?: string;
  caption?: string;
  /** Send an image as it is (no re-encoding, EXIF kept). Default false. */
  raw?: boolean;
}

/** Progress over every upload of the message. */
export interface SendFilesProgress {
  phase: 'upload';
  /** Ciphertext bytes uploaded so far, over all attachments (thumbnails and preview image included). */
  done: number;
  total: number;
  /** Index in `files` of the attachment in flight; -1 for the link preview's image. */
  file: number;
}

export interface SendFilesOptions {
  text?: string;
  /** Caption for every file that has none of its own. */
  caption?: string;
  /** Fetch a preview of the first https URL in `text` (sender side). Off by default; options are fetchLinkPreview's. */
  linkPreview?: boolean | LinkPreviewOptions;
  prepare?: PrepareImageOptions;
  onProgress?: (p: SendFilesProgress) => void;
  signal?: AbortSignal;
  /** Retry settings of each transfer. */
  transfer?: Pick<TransferOptions, 'maxAttempts' | 'retryDelayMs'>;
}

export interface SendFilesResult {
  sent: SentMessage;
  attachments: AttachmentPointer[];
  previews: LinkPreview[];
  /** Why the requested preview was left out (the message is sent without it). */
  previewError?: LinkPreviewError;
}

/** What sends the message (a `SealpostClient`). */
export type MessageSender = { send(to: string, message: OutgoingMessage): Promise<SentMessage> };

type Planned =
  | { kind: 'image'; index: number; image: PreparedImage; file: FileToSend; caption?: string }
  | { kind: 'file'; index: number; size: number; contentType: string; file: FileToSend; caption?: string };

const URL_IN_TEXT = /https:\/\/[^\s<>"']+/i;

/** The first https URL in a text (trailing punctuation dropped), if any. */
export function firstHttpsUrl(text: string | undefined): string | undefined {
  const m = text?.match(URL_IN_TEXT);
  return m?.[0].replace(/[.,;:!?)\]]+$/, '');
}

async function sniff(source: AttachmentSource): Promise<string | undefined> {
  if (source instanceof Uint8Array) return (await fileTypeFromBuffer(source))?.mime;
  if ('path' in source) return (await fileTypeFromFile(source.path).catch(() => undefined))?.mime;
  return undefined;
}

async function collectImage(source: AttachmentSource, maxBytes: number): Promise<Uint8Array | { path: string }> {
  if (source instanceof Uint8Array || 'path' in source) return source;
  if (source.size > maxBytes) throw new AttachmentError('TOO_LARGE', `image stream of ${source.size} bytes exceeds ${maxBytes}`);
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source.stream) {
    total += chunk.length;
    if (total > source.size) throw new AttachmentError('INVALID', `image stream is longer than its declared ${source.size} bytes`);
    parts.push(chunk);
  }
  if (total !== source.size) throw new AttachmentError('INVALID', `image stream ended at ${total} of ${source.size} bytes`);
  return Buffer.concat(parts, total);
}

async function sizeOf(source: AttachmentSource): Promise<number> {
  if (source instanceof Uint8Array) return source.length;
  if (!('path' in source)) return source.size;
  const st = await stat(source.path).catch((e: unknown) => {
    throw new AttachmentError('INVALID', `cannot read ${source.path}: ${(e as Error).message}`, { cause: e });
  });
  return st.size;
}

function imageUploadBytes(image: PreparedImage): number {
  return ciphertextSize(image.thumbnail.data.length) + ciphertextSize(image.data.length);
}

/**
 * Uploads `files` (and the opt-in link preview's image) and sends one
 * message with their pointers. Throws AttachmentError / MediaError subclasses
 * (before anything is sent) or the client's send errors.
 */
export async function sendFiles(
  sender: MessageSender,
  attachments: Pick<AttachmentClient, 'upload'>,
  to: string,
  files: readonly FileToSend[],
  options: SendFilesOptions = {},
): Promise<SendFilesResult> {
  if (files.length === 0 && options.text === undefined) throw new AttachmentError('INVALID', 'nothing to send: no files and no text');
  // 1. The link preview (fetched first: its image counts in the total).
  let fetched: FetchedLinkPreview | undefined;
  let previewError: LinkPreviewError | undefined;
  const url = options.linkPreview ? firstHttpsUrl(options.text) : undefined;
  if (url !== undefined) {
    const previewOpts = typeof options.linkPreview === 'object' ? options.linkPreview : {};
    try {
      fetched = await fetchLinkPreview(url, { ...previewOpts, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    } catch (e) {
      if (!(e instanceof LinkPreviewError)) throw e;
      previewError = e;
    }
  }
  // 2. Images prepared, sizes known.
  const plan: Planned[] = [];
  const maxImageBytes = options.prepare?.maxInputBytes ?? DEFAULT_IMAGE_LIMITS.maxInputBytes;
  for (const [index, file] of files.entries()) {
    const contentType = file.contentType ?? (await sniff(file.source)) ?? 'application/octet-stream';
    const caption = file.caption ?? options.caption;
    if (contentType.toLowerCase().startsWith('image/') && file.raw !== true) {
      const image = await prepareImage(await collectImage(file.source, maxImageBytes), options.prepare);
      plan.push({ kind: 'image', index, image, file, ...(caption === undefined ? {} : { caption }) });
    } else {
      const size = await sizeOf(file.source);
      plan.push({ kind: 'file', index, size, contentType, file, ...(caption === undefined ? {} : { caption }) });
    }
  }
  // 3. Uploads, with progress summed over all of them.
  const total =
    plan.reduce((n, p) => n + (p.kind === 'image' ? imageUploadBytes(p.image) : ciphertextSize(p.size)), 0) +
    (fetched?.image === undefined ? 0 : imageUploadBytes(fetched.image));
  let finished = 0;
  // Each upload reports its own done/total; a finished one counts by its ciphertext size (also when a resume found it complete).
  const counted = (file: number): { uploader: Pick<AttachmentClient, 'upload'>; t: TransferOptions } => {
    const t: TransferOptions = { ...options.transfer, ...(options.signal === undefined ? {} : { signal: options.signal }) };
    const report = (done: number) => options.onProgress?.({ phase: 'upload', done: Math.min(done, total), total, file });
    return {
      t,
      uploader: {
        async upload(source, meta, opts) {
          const pointer = await attachments.upload(source, meta, { ...opts, onProgress: (p: TransferProgress) => report(finished + Math.min(p.done, p.total)) });
          finished += ciphertextSize(pointer.size);
          report(finished);
          return pointer;
        },
      },
    };
  };
  const pointers: AttachmentPointer[] = [];
  for (const p of plan) {
    const { uploader, t } = counted(p.index);
    if (p.kind === 'image') {
      pointers.push(await uploadPreparedImage(uploader, p.image, { ...(p.caption === undefined ? {} : { caption: p.caption }), ...(p.file.fileName === undefined ? {} : { fileName: p.file.fileName }) }, t));
    } else {
      const src = p.file.source;
      const fileName = p.file.fileName ?? (!(src instanceof Uint8Array) && 'path' in src ? basename(src.path) : undefined);
      pointers.push(await uploader.upload(src, { contentType: p.contentType, ...(fileName === undefined ? {} : { fileName }), ...(p.caption === undefined ? {} : { caption: p.caption }) }, t));
    }
  }
  const preview = counted(-1);
  const previews = fetched === undefined ? [] : [await uploadLinkPreview(preview.uploader, fetched, preview.t)];
  // 4. One message with every pointer.
  const message: OutgoingMessage = { attachments: pointers };
  if (options.text !== undefined) message.text = options.text;
  if (previews.length > 0) message.previews = previews;
  const sent = await sender.send(to, message);
  return { sent, attachments: pointers, previews, ...(previewError === undefined ? {} : { previewError }) };
}
