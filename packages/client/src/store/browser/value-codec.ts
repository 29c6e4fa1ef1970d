/**
 * Record values as bytes, for the encrypted browser store: JSON with byte
 * arrays as `{"$b": base64}` (the plaintext store keeps IndexedDB's
 * structured clone instead). Only the store's own values pass through here.
 */
import { fromBase64, toBase64, utf8Decode, utf8Encode } from '@sealpost/protocol/primitives';

export function encodeValue(value: unknown): Uint8Array {
  return utf8Encode(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: toBase64(v) } : v)));
}

export function decodeValue(bytes: Uint8Array): unknown {
  return JSON.parse(utf8Decode(bytes, 'stored value'), (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const b = (v as { $b?: unknown }).$b;
      if (typeof b === 'string' && Object.keys(v).length === 1) return fromBase64(b, 'stored bytes');
    }
    return v;
  });
}
