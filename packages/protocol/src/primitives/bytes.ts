/**
 * Byte helpers, written once for the whole project: boundary checks,
 * equality, concatenation, hex, strict base64, UTF-8 and UUIDs. Pure
 * TypeScript over Uint8Array (no Buffer), so they run in browsers too.
 *
 * The node backend supplies Buffer-based base64 fast paths (measured 3–14×
 * faster than the loops below at 1.5–64 KiB); they return only canonical
 * results, and anything else falls through to the strict decoder here,
 * which names the fault.
 *
 * Decoders are strict: they accept exactly one spelling per byte string
 * (canonical encodings only) and throw InvalidArgumentError on anything
 * else, so a value has one encoding and junk never half-decodes.
 */
import { backend } from '#primitives-backend';
import { InvalidArgumentError } from '../errors.ts';

/**
 * Checks that `value` is a Uint8Array (and, when given, of exactly `length`
 * bytes). The one boundary check every primitive uses.
 */
export function checkBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${name} must be a Uint8Array, got ${value === null ? 'null' : typeof value}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/**
 * Plain (not constant-time) equality, for public bytes such as public keys
 * and identifiers. Secrets are compared with `constantTimeEqual`.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// ---- hex ----

// Encoders write ASCII codes into a byte array and decode it once: string
// concatenation per character measured ~100x slower than Buffer at 64 KiB.
const ASCII = new TextDecoder('latin1');
const HEX_CODES = new TextEncoder().encode('0123456789abcdef');

/** Lower-case hex encoding. */
export function toHex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0, o = 0; i < bytes.length; i++, o += 2) {
    const b = bytes[i]!;
    out[o] = HEX_CODES[b >> 4]!;
    out[o + 1] = HEX_CODES[b & 15]!;
  }
  return ASCII.decode(out);
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** Decodes hex (even length, [0-9a-fA-F] only). */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0) {
    throw new InvalidArgumentError('hex string must have even length and only hex digits');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new InvalidArgumentError('hex string must have even length and only hex digits');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

// ---- base64 (RFC 4648 §4 standard, §5 URL-safe) ----

const B64_STANDARD = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const B64_URL = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const PAD = 61; // '='

function decodeTable(alphabet: Uint8Array): Int16Array {
  const table = new Int16Array(256).fill(-1);
  for (let i = 0; i < 64; i++) table[alphabet[i]!] = i;
  return table;
}
const B64_STANDARD_TABLE = decodeTable(B64_STANDARD);
const B64_URL_TABLE = decodeTable(B64_URL);

function encode64(bytes: Uint8Array, alphabet: Uint8Array, pad: boolean): string {
  const full = bytes.length - (bytes.length % 3);
  const rest = bytes.length - full;
  const out = new Uint8Array((full / 3) * 4 + (rest === 0 ? 0 : pad ? 4 : rest + 1));
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = alphabet[n >> 18]!;
    out[o++] = alphabet[(n >> 12) & 63]!;
    out[o++] = alphabet[(n >> 6) & 63]!;
    out[o++] = alphabet[n & 63]!;
  }
  if (rest > 0) {
    const n = (bytes[full]! << 16) | (rest === 2 ? bytes[full + 1]! << 8 : 0);
    out[o++] = alphabet[n >> 18]!;
    out[o++] = alphabet[(n >> 12) & 63]!;
    if (rest === 2) out[o++] = alphabet[(n >> 6) & 63]!;
    else if (pad) out[o++] = PAD;
    if (pad) out[o++] = PAD;
  }
  return ASCII.decode(out);
}

function sextet(text: string, i: number, table: Int16Array, what: string): number {
  const c = text.charCodeAt(i);
  const v = c < 256 ? table[c]! : -1;
  if (v < 0) throw new InvalidArgumentError(`${what}: invalid character at ${i}`);
  return v;
}

/**
 * Decodes `text.slice(0, end)` (no padding) with `table`; rejects junk and
 * non-zero trailing bits, so each byte string has exactly one encoding.
 */
function decode64(text: string, end: number, table: Int16Array, what: string): Uint8Array {
  const rest = end % 4;
  if (rest === 1) throw new InvalidArgumentError(`${what}: invalid length`);
  const full = end - rest;
  const out = new Uint8Array((full / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n =
      (sextet(text, i, table, what) << 18) |
      (sextet(text, i + 1, table, what) << 12) |
      (sextet(text, i + 2, table, what) << 6) |
      sextet(text, i + 3, table, what);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (rest > 0) {
    const a = sextet(text, full, table, what);
    const b = sextet(text, full + 1, table, what);
    const c = rest === 3 ? sextet(text, full + 2, table, what) : 0;
    if ((rest === 2 ? b & 15 : c & 3) !== 0) throw new InvalidArgumentError(`${what}: non-canonical final character`);
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = (n >> 8) & 0xff;
  }
  return out;
}

/** Standard base64 (RFC 4648 §4: `+/`, with `=` padding). */
export function toBase64(bytes: Uint8Array): string {
  const fast = backend.base64Encode;
  return fast !== undefined ? fast(bytes, false) : encode64(bytes, B64_STANDARD, true);
}

/**
 * Strict standard base64: alphabet `A-Za-z0-9+/`, padding required (length a
 * multiple of 4), no whitespace or other characters, canonical final
 * character. Throws InvalidArgumentError otherwise.
 */
export function fromBase64(text: string, what = 'base64'): Uint8Array {
  if (typeof text !== 'string') throw new InvalidArgumentError(`${what} must be a string`);
  if (text.length % 4 !== 0) throw new InvalidArgumentError(`${what}: length must be a multiple of 4 (padding required)`);
  const fast = backend.base64DecodeCanonical?.(text, false);
  if (fast !== undefined) return fast;
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === PAD) {
    end--;
    if (text.charCodeAt(end - 1) === PAD) end--;
  }
  return decode64(text, end, B64_STANDARD_TABLE, what);
}

/** URL-safe base64 without padding (RFC 4648 §5: `-_`). */
export function toBase64Url(bytes: Uint8Array): string {
  const fast = backend.base64Encode;
  return fast !== undefined ? fast(bytes, true) : encode64(bytes, B64_URL, false);
}

/**
 * Strict URL-safe base64 without padding: alphabet `A-Za-z0-9-_`, no `=`,
 * canonical final character. Throws InvalidArgumentError otherwise.
 */
export function fromBase64Url(text: string, what = 'base64url'): Uint8Array {
  if (typeof text !== 'string') throw new InvalidArgumentError(`${what} must be a string`);
  const fast = backend.base64DecodeCanonical?.(text, true);
  if (fast !== undefined) return fast;
  return decode64(text, text.length, B64_URL_TABLE, what);
}

// ---- UTF-8 ----

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 encoding of a string. */
export function utf8Encode(text: string): Uint8Array {
  return UTF8_ENCODER.encode(text);
}

/** Strict UTF-8 decoding: throws InvalidArgumentError on malformed input. */
export function utf8Decode(bytes: Uint8Array, what = 'UTF-8 text'): string {
  try {
    return UTF8_DECODER.decode(bytes);
  } catch {
    throw new InvalidArgumentError(`${what} is not valid UTF-8`);
  }
}

// ---- UUIDs ----

/** A UUID in its canonical text form: lower-case, hyphenated 8-4-4-4-12. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a canonical (lower-case, hyphenated) UUID string. */
export function isCanonicalUuid(text: unknown): text is string {
  return typeof text === 'string' && UUID_PATTERN.test(text);
}

/** The 16 bytes of a UUID string (hyphenated, either case). */
export function uuidToBytes(uuid: string): Uint8Array {
  if (typeof uuid !== 'string' || !UUID_PATTERN.test(uuid.toLowerCase())) {
    throw new InvalidArgumentError('not a UUID (expected 8-4-4-4-12 hex digits)');
  }
  return fromHex(uuid.replace(/-/g, ''));
}

/** The canonical (lower-case, hyphenated) string of 16 UUID bytes. */
export function uuidFromBytes(bytes: Uint8Array): string {
  const h = toHex(checkBytes('UUID', bytes, 16));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
