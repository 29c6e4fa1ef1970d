/**
 * Typed errors of the media helpers (image preparation, link previews).
 * Every error carries a stable machine-readable `code`; messages name the
 * limit that was hit, never file contents or secrets.
 */
export type MediaErrorCode =
  /** The input is not one of the accepted image formats (JPEG, PNG, WebP, GIF, AVIF/HEIF). */
  | 'IMAGE_UNSUPPORTED'
  /** The input claims an accepted format but cannot be decoded. */
  | 'IMAGE_CORRUPT'
  /** The input exceeds the byte or pixel limit. */
  | 'IMAGE_TOO_LARGE'
  /** The optional `sharp` dependency is not installed on this platform. */
  | 'IMAGE_PROCESSOR_UNAVAILABLE'
  /** The URL is not an acceptable preview target (not https:, credentials, bad port, malformed). */
  | 'PREVIEW_URL_REFUSED'
  /** The host resolves (or is) a private, loopback, link-local or otherwise non-public address. */
  | 'PREVIEW_DESTINATION_BLOCKED'
  /** More redirects than allowed. */
  | 'PREVIEW_TOO_MANY_REDIRECTS'
  /** A response body (or its declared length) exceeds the cap. */
  | 'PREVIEW_TOO_LARGE'
  /** The overall deadline passed (or the caller aborted). */
  | 'PREVIEW_TIMEOUT'
  /** The site answered with a non-success status. */
  | 'PREVIEW_HTTP_STATUS'
  /** The response is not of the expected type (HTML page, image). */
  | 'PREVIEW_CONTENT_TYPE'
  /** DNS, TCP, TLS or proxy failure. */
  | 'PREVIEW_NETWORK'
  /** The page carries no title (nothing to preview). */
  | 'PREVIEW_NO_METADATA';

/** Base class of every media error. */
export class MediaError extends Error {
  readonly code: MediaErrorCode;
  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The input is not an accepted image format. */
export class UnsupportedImageError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IMAGE_UNSUPPORTED', message, options);
  }
}

/** The input cannot be decoded. */
export class CorruptImageError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IMAGE_CORRUPT', message, options);
  }
}

/** The input exceeds a byte or pixel limit. */
export class ImageTooLargeError extends MediaError {
  /** Which limit: input bytes or decoded pixels. */
  readonly limit: 'bytes' | 'pixels';
  readonly max: number;
  constructor(limit: 'bytes' | 'pixels', max: number, message: string) {
    super('IMAGE_TOO_LARGE', message);
    this.limit = limit;
    this.max = max;
  }
}

/** `sharp` could not be loaded. */
export class ImageProcessorUnavailableError extends MediaError {
  constructor(options?: { cause?: unknown }) {
    super('IMAGE_PROCESSOR_UNAVAILABLE', 'image processing needs the optional dependency "sharp", which is not installed for this platform', options);
  }
}

/** Every link-preview failure; `code` says which. */
export class LinkPreviewError extends MediaError {
  /** The URL being fetched when it failed (the page or a redirect hop or the image). */
  readonly url: string;
  constructor(code: MediaErrorCode, url: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.url = url;
  }
}
