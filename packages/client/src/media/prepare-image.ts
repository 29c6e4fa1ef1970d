/**
 * Image preparation before an image is sent as an attachment: the bytes are
 * sniffed (only JPEG, PNG, WebP, GIF and AVIF are accepted; SVG, TIFF and
 * everything else are refused before any decoder sees them), bounded in
 * bytes and decoded pixels, rotated upright by their EXIF orientation, then
 * re-encoded by sharp with **all** metadata dropped (EXIF incl. GPS, XMP,
 * IPTC, and the ICC profile after conversion to sRGB). A thumbnail is made
 * as its own small payload (sent as its own attachment), and a blurhash
 * string for the inline placeholder.
 */
import { fileTypeFromBuffer } from 'file-type';
import { blurhashOf } from './blurhash.ts';
import { CorruptImageError, ImageTooLargeError, MediaError, UnsupportedImageError } from './errors.ts';
import { readImageInput, type ImageInput } from './image-input.ts';
import { loadSharp, type SharpFactory } from './sharp-loader.ts';

/** Media types accepted as input (by their magic bytes, not their name). */
export const ACCEPTED_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];

/** Limits and output choices; every field has a default. */
export interface PrepareImageOptions {
  /** Largest input accepted, in bytes (default 25 MiB). */
  maxInputBytes?: number;
  /** Largest decoded input accepted, width × height (default 50 megapixels); also passed to sharp's `limitInputPixels`. */
  maxInputPixels?: number;
  /** Longest side of the re-encoded image; larger images are scaled down (default 4096). */
  maxDimension?: number;
  /** Longest side of the thumbnail (default 256). */
  thumbnailDimension?: number;
  /** Encoder quality 1–100 for the image (default 82) and thumbnail (default 70). */
  quality?: number;
  thumbnailQuality?: number;
}

/** An encoded image: bytes plus what a pointer carries about them. */
export interface EncodedImage {
  data: Buffer;
  /** `image/jpeg` for opaque images, `image/webp` when the image has transparency. */
  contentType: string;
  width: number;
  height: number;
}

/** The result of `prepareImage`: send `data` and `thumbnail.data` as two attachments. */
export interface PreparedImage extends EncodedImage {
  thumbnail: EncodedImage;
  /** A BlurHash of the upright image (https://blurha.sh), for the pointer's `blurHash`. */
  blurhash: string;
}

export const DEFAULT_IMAGE_LIMITS = {
  maxInputBytes: 25 * 1024 * 1024,
  maxInputPixels: 50_000_000,
  maxDimension: 4096,
  thumbnailDimension: 256,
  quality: 82,
  thumbnailQuality: 70,
} as const;

/** Maps a sharp/libvips failure to a typed error. */
function decodeFailure(e: unknown, maxInputPixels: number): MediaError {
  const message = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(message)) {
    return new ImageTooLargeError('pixels', maxInputPixels, `image exceeds ${maxInputPixels} pixels`);
  }
  if (/unsupported image format/i.test(message)) return new UnsupportedImageError('image format not supported', { cause: e });
  return new CorruptImageError(`image could not be decoded: ${message.split('\n')[0]}`, { cause: e });
}

async function encode(
  sharp: SharpFactory,
  input: Buffer,
  pixelLimit: number,
  maxSide: number,
  quality: number,
  alpha: boolean,
): Promise<EncodedImage> {
  // autoOrient applies (and drops) the EXIF orientation; sharp writes no
  // metadata unless asked (no keepMetadata/withMetadata here), and converts
  // to sRGB so no ICC profile is needed.
  let pipeline = sharp(input, { limitInputPixels: pixelLimit, failOn: 'warning', autoOrient: true, animated: false })
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
  pipeline = alpha ? pipeline.webp({ quality, alphaQuality: 100 }) : pipeline.flatten({ background: '#ffffff' }).jpeg({ quality });
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { data, contentType: alpha ? 'image/webp' : 'image/jpeg', width: info.width, height: info.height };
}

/**
 * Prepares an image for sending. Throws `UnsupportedImageError`,
 * `CorruptImageError`, `ImageTooLargeError` or `ImageProcessorUnavailableError`.
 */
export async function prepareImage(input: ImageInput, options: PrepareImageOptions = {}): Promise<PreparedImage> {
  const limits = { ...DEFAULT_IMAGE_LIMITS, ...options };
  const bytes = await readImageInput(input, limits.maxInputBytes);
  const sniffed = await fileTypeFromBuffer(bytes);
  if (sniffed === undefined || !ACCEPTED_IMAGE_TYPES.includes(sniffed.mime)) {
    throw new UnsupportedImageError(`image type ${sniffed?.mime ?? 'unknown'} is not accepted (accepted: ${ACCEPTED_IMAGE_TYPES.join(', ')})`);
  }
  const sharp = await loadSharp();
  try {
    // The header alone: dimensions are checked here for a precise error;
    // the decoding pipelines below enforce the same limit in libvips.
    const meta = await sharp(bytes, { limitInputPixels: false, failOn: 'warning' }).metadata();
    if (meta.width === undefined || meta.height === undefined || meta.width < 1 || meta.height < 1) {
      throw new CorruptImageError('image has no dimensions');
    }
    if (meta.width * meta.height > limits.maxInputPixels) {
      throw new ImageTooLargeError('pixels', limits.maxInputPixels, `image of ${meta.width}×${meta.height} exceeds ${limits.maxInputPixels} pixels`);
    }
    const alpha = meta.hasAlpha === true;
    const image = await encode(sharp, bytes, limits.maxInputPixels, limits.maxDimension, limits.quality, alpha);
    // The thumbnail and blurhash come from the re-encoded, upright image.
    const thumbnail = await encode(sharp, image.data, limits.maxInputPixels, limits.thumbnailDimension, limits.thumbnailQuality, alpha);
    const blurhash = await blurhashOf(sharp, image.data);
    return { ...image, thumbnail, blurhash };
  } catch (e) {
    if (e instanceof MediaError) throw e;
    throw decodeFailure(e, limits.maxInputPixels);
  }
}
