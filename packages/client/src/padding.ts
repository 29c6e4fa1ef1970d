/**
 * Message padding, as Signal's clients pad every plaintext before the
 * session encrypts it, so ciphertext sizes come in buckets instead of
 * telling the relay (or anyone on the wire) each message's length.
 *
 * The rule is Signal-Desktop's (`padMessage` / `getPaddedMessageLength`,
 * the same as Signal-Android's PushTransportDetails): the message, then one
 * 0x80 byte, then zeros up to a total of `ceil((len + 2) / 160) * 160 - 1`
 * bytes. (The historical "- 1" and "+ 2" come from a version byte the
 * original format counted; keeping them makes our padded lengths equal to
 * Signal's.) So a plaintext of 0..158 bytes becomes 159 bytes, 159..318
 * becomes 319, and so on in steps of 160.
 *
 * Stripping: trailing zeros are dropped, then the last byte must be 0x80;
 * anything else is `INVALID_PADDING`. That is Signal-Desktop's receive rule,
 * and it refuses an unpadded message (a libsignal peer that does not pad)
 * unless that message happens to end in 0x80 followed by zeros. Android
 * instead hands such a message on unstripped; we do not, because an
 * unpadded `Content` ends in the sender's random profile key, so guessing
 * would corrupt it. The padding is the client's: the protocol core encrypts
 * exactly the bytes it is given.
 */
import { ClientError } from './errors.ts';

/** Size of one padding bucket, bytes (Signal's). */
export const PADDING_BLOCK = 160;
/** The byte that ends a message and starts the padding. */
const PADDING_START = 0x80;

/** The padded length of a `length`-byte plaintext (Signal's rule). */
export function paddedLength(length: number): number {
  return Math.ceil((length + 2) / PADDING_BLOCK) * PADDING_BLOCK - 1;
}

/** `plaintext` || 0x80 || zeros, to `paddedLength(plaintext.length)` bytes (a new array). */
export function padPlaintext(plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  out[plaintext.length] = PADDING_START;
  return out;
}

/** The plaintext inside `padded` (a copy); `INVALID_PADDING` unless it ends in 0x80 then zeros. */
export function unpadPlaintext(padded: Uint8Array): Uint8Array {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0) throw new ClientError('INVALID_PADDING', `plaintext of ${padded.length} bytes has no padding marker (0x80)`);
  if (padded[end] !== PADDING_START) {
    throw new ClientError('INVALID_PADDING', `plaintext is not padded: byte ${end} is 0x${padded[end]!.toString(16).padStart(2, '0')}, expected 0x80 before the zeros`);
  }
  return padded.slice(0, end);
}
