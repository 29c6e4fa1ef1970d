/**
 * The key server's HTTP errors. Every failure leaves as
 * `{ "error": { "code", "message" } }` with a matching status; codes are
 * stable strings clients can switch on.
 */

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
