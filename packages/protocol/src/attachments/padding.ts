/**
 * Signal's attachment size buckets and the resulting ciphertext size
 * (Signal-Desktop ts/util/logPadSize, Android PaddingInputStream): the
 * plaintext is zero-padded to the next power of 1.05 (at least 541 bytes), so
 * the blob reveals the size only to within 5%.
 */
import { InvalidArgumentError } from '../errors.ts';

/** The smallest padded size. */
export const MIN_PADDED_SIZE = 541;
/** IV, MAC and CBC block lengths of the blob layout `iv ‖ AES-CBC(padded) ‖ HMAC`. */
export const ATTACHMENT_IV_LENGTH = 16;
export const ATTACHMENT_MAC_LENGTH = 32;
export const ATTACHMENT_KEY_LENGTH = 64;
const CBC_BLOCK = 16;

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`attachment size must be a non-negative safe integer, got ${size}`);
}

/** `max(541, floor(1.05^ceil(log(size)/log(1.05))))`: the plaintext length after padding. */
export function paddedSize(size: number): number {
  checkSize(size);
  return Math.max(MIN_PADDED_SIZE, Math.floor(1.05 ** Math.ceil(Math.log(size) / Math.log(1.05))));
}

/** Length of the whole blob for a plaintext of `size` bytes: `16 + 16·(floor(padded/16)+1) + 32`. */
export function ciphertextSize(size: number): number {
  const padded = paddedSize(size);
  return ATTACHMENT_IV_LENGTH + CBC_BLOCK * (Math.floor(padded / CBC_BLOCK) + 1) + ATTACHMENT_MAC_LENGTH;
}
