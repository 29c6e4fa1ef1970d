/**
 * Media helpers: image preparation (metadata stripped, upright, thumbnail,
 * blurhash) and opt-in sender-side link previews.
 */
export { prepareImage, ACCEPTED_IMAGE_TYPES, DEFAULT_IMAGE_LIMITS, type PrepareImageOptions, type PreparedImage, type EncodedImage } from './prepare-image.ts';
export type { ImageInput } from './image-input.ts';
export { fetchLinkPreview, DEFAULT_LINK_PREVIEW_LIMITS, type FetchedLinkPreview, type LinkPreviewOptions } from './link-preview.ts';
export { isPublicAddress } from './destination-guard.ts';
export {
  MediaError,
  UnsupportedImageError,
  CorruptImageError,
  ImageTooLargeError,
  ImageProcessorUnavailableError,
  LinkPreviewError,
  type MediaErrorCode,
} from './errors.ts';
export { uploadImage, uploadPreparedImage, uploadLinkPreview, type AttachmentUploader, type ImageMeta } from './media-upload.ts';
export { sendFiles, firstHttpsUrl, type FileToSend, type SendFilesOptions, type SendFilesProgress, type SendFilesResult, type MessageSender } from './send-files.ts';
