/**
 * One way out for every failure: `{ "error": { "code", "message", ...details } }`
 * with the right status.
 *
 * - `HttpError` → its status, code, message, details and headers.
 * - Schema validation → 400 `INVALID_REQUEST` naming the part and field.
 * - fastify's own client errors (body parsing, media type, size) → their 4xx
 *   status with a kit code (`fastifyErrorCode`).
 * - Errors fastify raises before routing — bad percent-encoding (400
 *   `INVALID_REQUEST`), a path parameter over `maxParamLength` (414
 *   `URI_TOO_LONG`): pass `frameworkErrors` to `Fastify({ frameworkErrors })`.
 * - Requests Node's HTTP parser refuses before fastify sees them (garbage
 *   request line, bad Content-Length, headers too large, timeouts): pass
 *   `clientErrorHandler` to `Fastify({ clientErrorHandler })`; the raw
 *   response then carries the same body (400 `BAD_REQUEST`, 431
 *   `HEADERS_TOO_LARGE`, 408 `REQUEST_TIMEOUT`) instead of fastify's
 *   `{"error":"Bad Request",…}`.
 * - No route → 404 `NOT_FOUND`.
 * - Anything else → 500 `INTERNAL` with a fixed message; only the error's
 *   name, code, message and stack reach the log (no request data).
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, type KitErrorCode } from './http-error.ts';
import { errorBodySchema } from './schemas.ts';

/** The JSON every error answer carries. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

/** Builds the error body. */
export function errorBody(code: string, message: string, details: Readonly<Record<string, unknown>> = {}): ErrorBody {
  return { error: { ...details, code, message } };
}

/** The kit code for one of fastify's own client errors. */
export function fastifyErrorCode(err: { code?: string } & Error): KitErrorCode {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'BODY_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'EMPTY_BODY';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'INVALID_JSON';
    case 'FST_ERR_BAD_URL':
      return 'INVALID_REQUEST';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'URI_TOO_LONG';
    default:
      return err instanceof SyntaxError ? 'INVALID_JSON' : 'BAD_REQUEST';
  }
}

function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  const where = `${err.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
  return `${where} ${first?.message ?? err.message}`.replace(/\s+/g, ' ').trim();
}

/**
 * Turns anything thrown into the `HttpError` the client sees. `internal` is
 * true when the original must be logged (it was not meant for the client).
 */
export function toHttpError(err: unknown): { error: HttpError; internal: boolean } {
  if (err instanceof HttpError) return { error: err, internal: false };
  const fe = err as Partial<FastifyError> & Error;
  if (fe !== null && typeof fe === 'object' && Array.isArray(fe.validation)) {
    return { error: new HttpError(400, 'INVALID_REQUEST', validationMessage(fe as FastifyError)), internal: false };
  }
  if (fe?.code === 'FST_ERR_BAD_URL') {
    return { error: new HttpError(400, 'INVALID_REQUEST', 'malformed URL (bad percent-encoding)'), internal: false };
  }
  if (fe?.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // fastify's message repeats the whole path; say what is wrong instead.
    return { error: new HttpError(414, 'URI_TOO_LONG', 'a path parameter is longer than the server accepts'), internal: false };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500 && err instanceof Error) {
    return { error: new HttpError(status, fastifyErrorCode(fe), fe.message), internal: false };
  }
  return { error: new HttpError(500, 'INTERNAL', 'internal error'), internal: true };
}

/** What of an unexpected error may reach the log: no request data. */
function loggable(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  return { type: err.name, code: (err as { code?: unknown }).code, message: err.message, stack: err.stack };
}

/** Sends `err` as the error body. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { error, internal } = toHttpError(err);
  if (internal) request.log.error({ err: loggable(err) }, 'unexpected error');
  return reply.code(error.statusCode).headers({ ...error.headers }).send(errorBody(error.code, error.message, error.details));
}

/**
 * For `Fastify({ frameworkErrors })`: errors fastify raises before a route
 * runs (e.g. `FST_ERR_BAD_URL`) get the uniform body too.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(error, request, reply);
}

const CLIENT_ERRORS: Record<string, [number, string, KitErrorCode, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request took too long to arrive'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'request headers are larger than the server accepts'],
};

/**
 * For `Fastify({ clientErrorHandler })`: answers a request Node's HTTP
 * parser refused (it never reaches routing) with the uniform body, then
 * closes the connection. Nothing of the request is echoed or logged.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'BAD_REQUEST', 'malformed HTTP request'];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Installs the error handler, the 404 handler and the `ErrorBody` schema on
 * the root instance (call it before registering routes).
 */
export function installErrorHandling(app: FastifyInstance): void {
  if (app.getSchema(errorBodySchema.$id) === undefined) app.addSchema(errorBodySchema);
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  // The path is not echoed (issue 11 item 10): it may carry account ids, and reflecting it invites abuse.
  app.setNotFoundHandler((request, reply) =>
    sendError(new HttpError(404, 'NOT_FOUND', `no ${request.method} route at this path`), request, reply),
  );
}
