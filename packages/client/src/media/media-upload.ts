/**
 * Glue between media preparation and encrypted attachments: an image is
 * prepared (prepare-image.ts), its thumbnail uploaded as its own small
 * attachment, then the image itself with the thumbnail's pointer, its
 * dimensions and blurhash in the pointer; a fetched link preview's image
 * goes the same way, giving the `LinkPreview` a message carries. Only the
 * uploader's public `upload` is used.
 */
import type { AttachmentClient } from '../attachments/attachment-client.ts';
import type { TransferOptions } from '../attachments/blob-transfer.ts';
import type { AttachmentPointer, LinkPreview } from '../attachments/pointer.ts';
import type { ImageInput } from './image-input.ts';
import type { FetchedLinkPreview } from './link-preview.ts';
import { prepareImage, type PrepareImageOptions, type PreparedImage } from './prepare-image.ts';

/** What uploads attachments (an `AttachmentClient`). */
export type AttachmentUploader = Pick<AttachmentClient, 'upload'>;

/** Pointer fields the sender adds to an image. */
export interface ImageMeta {
  caption?: string;
  /**
   * Sent as the pointer's file name. Not taken from a path by default: a
   * camera's file name (date, device) is metadata too.
   */
  fileName?: string;
}

/** Uploads a prepared image: thumbnail first (its own attachment), then the image pointing at it. */
export async function uploadPreparedImage(
  uploader: AttachmentUploader,
  image: PreparedImage,
  meta: ImageMeta = {},
  transfer: TransferOptions = {},
): Promise<AttachmentPointer> {
  const { thumbnail } = image;
  const thumbnailPointer = await uploader.upload(
    thumbnail.data,
    { contentType: thumbnail.contentType, width: thumbnail.width, height: thumbnail.height },
    transfer,
  );
  return uploader.upload(
    image.data,
    {
      contentType: image.contentType,
      width: image.width,
      height: image.height,
      blurHash: image.blurhash,
      thumbnail: thumbnailPointer,
      ...(meta.caption === undefined ? {} : { caption: meta.caption }),
      ...(meta.fileName === undefined ? {} : { fileName: meta.fileName }),
    },
    transfer,
  );
}

/** Prepares (metadata stripped, upright, thumbnail, blurhash) and uploads an image. */
export async function uploadImage(
  uploader: AttachmentUploader,
  input: ImageInput,
  meta: ImageMeta & { prepare?: PrepareImageOptions } = {},
  transfer: TransferOptions = {},
): Promise<AttachmentPointer> {
  const prepared = await prepareImage(input, meta.prepare);
  return uploadPreparedImage(uploader, prepared, meta, transfer);
}

/** Uploads a fetched preview's image (if any) and returns the preview a message carries. */
export async function uploadLinkPreview(
  uploader: AttachmentUploader,
  preview: FetchedLinkPreview,
  transfer: TransferOptions & { now?: () => number } = {},
): Promise<LinkPreview> {
  const out: LinkPreview = { url: preview.url, title: preview.title, date: (transfer.now ?? Date.now)() };
  if (preview.description !== undefined) out.description = preview.description;
  if (preview.image !== undefined) out.image = await uploadPreparedImage(uploader, preview.image, {}, transfer);
  return out;
}
