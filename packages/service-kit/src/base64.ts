/**
 * Bytes in the services' JSON: standard base64 (RFC 4648 §4 alphabet),
 * padding required, decoded strictly — no whitespace, no URL-safe letters,
 * no missing padding and no non-zero trailing bits, so one byte string has
 * exactly one text form.
 *
 * The codec is the protocol's (`@sealpost/protocol/primitives`), written
 * once for the project; on Node it runs through Buffer (the node primitives
 * backend), so encoding a 1569-byte Kyber key costs microseconds.
 * `decodeBase64Field` adds the HTTP 400s.
 */
import { fromBase64, toBase64 } from '@sealpost/protocol/primitives';
import { HttpError } from './http-error.ts';

/** Padded base64 length of `n` bytes. */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return toBase64(bytes);
}

/** Decodes strict, canonical, padded standard base64; undefined for anything else. Never throws. */
export function parseBase64(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return fromBase64(text);
  } catch {
    return undefined;
  }
}

/**
 * Decodes a request field, or throws a 400 `HttpError`: `BAD_BASE64` when it
 * is not strict base64, `BAD_LENGTH` when it is not `length` bytes.
 */
export function decodeBase64Field(field: string, text: string, length?: number): Uint8Array {
  const bytes = parseBase64(text);
  if (bytes === undefined) throw new HttpError(400, 'BAD_BASE64', `${field} is not canonical padded base64`);
  if (length !== undefined && bytes.length !== length) {
    throw new HttpError(400, 'BAD_LENGTH', `${field} must decode to ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}
