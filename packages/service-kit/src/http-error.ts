/**
 * `HttpError`: the one error class both services throw on purpose. It leaves
 * as `{ "error": { "code", "message", ...details } }` with its status and
 * headers (see error-handler.ts). Codes are stable upper-case strings clients
 * switch on; each service narrows `Code` to its own union
 * (`HttpError<KeyServerErrorCode>`), and the codes the kit itself produces
 * are `KitErrorCode`.
 */

/** Codes the kit's own handlers and helpers answer with. */
export const KIT_ERROR_CODES = [
  /** The request does not match the route's JSON schema (or its URL is malformed). */
  'INVALID_REQUEST',
  /** A client error fastify reports that has no more specific code. */
  'BAD_REQUEST',
  /** The body is not JSON. */
  'INVALID_JSON',
  /** A JSON content type with an empty body. */
  'EMPTY_BODY',
  /** The body is larger than the server accepts. */
  'BODY_TOO_LARGE',
  /** A content type the route does not parse. */
  'UNSUPPORTED_MEDIA_TYPE',
  /** No such route. */
  'NOT_FOUND',
  /** A path parameter is longer than the router accepts. */
  'URI_TOO_LONG',
  /** Request headers larger than the server accepts (HTTP parser). */
  'HEADERS_TOO_LARGE',
  /** The request did not arrive in time (HTTP parser). */
  'REQUEST_TIMEOUT',
  /** A field is not strict, canonical, padded standard base64. */
  'BAD_BASE64',
  /** A base64 field decodes to the wrong number of bytes. */
  'BAD_LENGTH',
  /** A WebSocket upgrade from a browser page whose origin is not configured (cors.ts). */
  'FORBIDDEN_ORIGIN',
  /** Anything the server did not expect; details stay in the server log. */
  'INTERNAL',
  /** `/ready`: the instance is draining (shutting down) or its database is not reachable / migrated. */
  'NOT_READY',
] as const;

/** A code the kit itself answers with. */
export type KitErrorCode = (typeof KIT_ERROR_CODES)[number];

/** Extras of an `HttpError`. */
export interface HttpErrorOptions {
  /** Extra fields sent inside `error` next to `code` and `message` (e.g. mismatched device lists). */
  details?: Record<string, unknown>;
  /** Extra response headers (e.g. Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
  /** The underlying error, for the server log only. */
  cause?: unknown;
}

/** An error with an HTTP status (400–599) and a stable code, safe to show to the client. */
export class HttpError<Code extends string = string> extends Error {
  /** The HTTP status (fastify's name for it). */
  readonly statusCode: number;
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: Code, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError(`HttpError status must be 400..599, got ${status}`);
    this.name = 'HttpError';
    this.statusCode = status;
    this.code = code;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }

  /** The HTTP status. */
  get status(): number {
    return this.statusCode;
  }
}
