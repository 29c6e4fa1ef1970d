/** JSON-schema fragments shared by the route plugins. */
import { errorSchema } from './errors.ts';

/** An account id as the key server issues them (UUIDs; also `PNI:uuid` service ids). */
export const accountIdSchema = { type: 'string', pattern: '^[A-Za-z0-9:_-]{1,64}$' } as const;

/** Standard base64 (what envelopes and keys travel as in JSON). */
export const base64Schema = { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } as const;

/** Responses every authenticated route may give. */
export const commonErrorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  413: errorSchema,
  429: errorSchema,
} as const;

/** Decodes schema-checked base64 (length must be a multiple of 4). */
export function decodeBase64(value: string): Uint8Array | undefined {
  if (value.length % 4 !== 0) return undefined;
  return new Uint8Array(Buffer.from(value, 'base64'));
}
