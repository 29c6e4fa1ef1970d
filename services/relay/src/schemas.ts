/** JSON-schema fragments and decoding shared by the route plugins. */
import { parseBase64 } from '@sealpost/service-kit';

/** An account id as the key server issues them (UUIDs; also `PNI:uuid` service ids). */
export const accountIdSchema = { type: 'string', pattern: '^[A-Za-z0-9:_-]{1,64}$' } as const;

/**
 * Standard base64 (what envelopes and keys travel as in JSON). The schema
 * keeps out foreign characters cheaply; `decodeBase64` then insists on the
 * one canonical padded form.
 */
export const base64Schema = { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } as const;

/** Decodes strict, canonical, padded base64; undefined for anything else. */
export function decodeBase64(value: string): Uint8Array | undefined {
  return parseBase64(value);
}
