/**
 * The error body's JSON schema, shared by every route of both services
 * through `$ref`, and `withErrors`, which adds it to a route's responses.
 */

/** `$id` of the error body schema (registered by `installErrorHandling`). */
export const ERROR_BODY_SCHEMA_ID = 'ErrorBody';

/** `{ error: { code, message, ...details } }`. */
export const errorBodySchema = {
  $id: ERROR_BODY_SCHEMA_ID,
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      // Some errors carry details (e.g. the relay's mismatched device lists).
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** A reference to the error body schema, for a response entry. */
export const errorBodyRef = { $ref: `${ERROR_BODY_SCHEMA_ID}#` } as const;

/** A status a route may answer with the error body: a number or fastify's `4xx`/`5xx` ranges. */
export type ErrorStatus = number | '4xx' | '5xx';

/**
 * A route's response map plus the error body for `statuses` (default: the
 * `4xx` and `5xx` ranges). Entries already in `responses` win.
 *
 *     response: withErrors({ 200: okSchema })
 *     response: withErrors({ 200: okSchema }, [400, 401, 404])
 */
export function withErrors<T extends Record<string, unknown>, S extends ErrorStatus = '4xx' | '5xx'>(
  responses: T,
  statuses: readonly S[] = ['4xx', '5xx'] as unknown as readonly S[],
): T & Record<`${S}`, typeof errorBodyRef> {
  const out: Record<string, unknown> = {};
  for (const s of statuses) out[String(s)] = errorBodyRef;
  return { ...out, ...responses } as T & Record<`${S}`, typeof errorBodyRef>;
}
