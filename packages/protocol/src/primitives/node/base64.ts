/**
 * Buffer-based base64 for bytes.ts (standard with padding; URL-safe
 * without). Decoding is lenient in Buffer, so a result is returned only
 * when re-encoding it gives back exactly `text` — i.e. `text` is the one
 * canonical encoding — and otherwise undefined, leaving bytes.ts's strict
 * decoder to name the fault.
 */
import { asBuffer } from './buffers.ts';

export function base64Encode(bytes: Uint8Array, url: boolean): string {
  return asBuffer(bytes).toString(url ? 'base64url' : 'base64');
}

export function base64DecodeCanonical(text: string, url: boolean): Uint8Array | undefined {
  const encoding = url ? 'base64url' : 'base64';
  const decoded = Buffer.from(text, encoding);
  if (decoded.toString(encoding) !== text) return undefined;
  // A copy: Buffer.from(string) may return a slice of Buffer's shared pool.
  return new Uint8Array(decoded);
}
