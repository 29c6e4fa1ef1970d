/**
 * Bytes in the services' JSON: standard base64 (RFC 4648 §4 alphabet),
 * padding required, decoded strictly — no whitespace, no URL-safe letters,
 * no missing padding and no non-zero trailing bits, so one byte string has
 * exactly one text form.
 *
 * The rules are exactly those of the protocol's `toBase64`/`fromBase64`
 * (`@sealpost/protocol/primitives`; test/base64.test.ts checks both agree on
 * every input it tries). The services do not call those directly because
 * they are portable pure-JS loops, measured at 47 µs to encode one 1569-byte
 * Kyber key against 1.6 µs through node's Buffer (39 µs vs 2.8 µs to
 * decode), and a bundle fetch encodes one such key per request; the
 * services only run on Node. `decodeBase64Field` adds the HTTP 400s.
 */
import { HttpError } from './http-error.ts';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Padded base64 length of `n` bytes. */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes strict, canonical, padded standard base64; undefined for anything else. Never throws. */
export function parseBase64(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || !BASE64_RE.test(text)) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // Non-canonical trailing bits ("AB==" vs "AA==") would give one key two names.
  if (encodeBase64(bytes) !== text) return undefined;
  return bytes;
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
