/**
 * The key server's HTTP errors. Every failure leaves as
 * `{ "error": { "code", "message" } }` with a matching status; codes are
 * stable strings clients can switch on.
 */
import type { FastifyError } from 'fastify';

/** An error with an HTTP status and a stable code, safe to show to the client. */
export class KeyServerError extends Error {
  readonly statusCode: number;
  readonly code: string;
  /** Extra response headers (e.g. Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'KeyServerError';
    this.statusCode = statusCode;
    this.code = code;
    this.headers = headers;
  }
}

/** 400: the request is well-formed JSON but its content is not acceptable. */
export function badRequest(code: string, message: string): KeyServerError {
  return new KeyServerError(400, code, message);
}

/** 401 with a Basic challenge. */
export function unauthorized(message: string): KeyServerError {
  return new KeyServerError(401, 'UNAUTHORIZED', message, { 'www-authenticate': 'Basic realm="sealpost-keyserver"' });
}

/** 403: authenticated, but not allowed to do this. */
export function forbidden(message: string): KeyServerError {
  return new KeyServerError(403, 'FORBIDDEN', message);
}

/** 404. */
export function notFound(code: string, message: string): KeyServerError {
  return new KeyServerError(404, code, message);
}

/** Maps Fastify's own client errors (body parsing, media type) to our error codes; the relay uses the same names. */
export function fastifyErrorCode(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'BODY_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'EMPTY_BODY';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'INVALID_JSON';
    default:
      return err instanceof SyntaxError ? 'INVALID_JSON' : 'BAD_REQUEST';
  }
}

/** Builds (but does not start) a key server. Call `.listen()` or `.inject()` on the result. */
