/**
 * What the key server logs per request. By default one line with the
 * method, the route PATTERN (`/v1/keys/:accountId/:deviceId`, never the
 * values), the status and the duration: no client address and no URL, so
 * the log cannot pair who asked with whose keys they fetched. With
 * `logClientDetails` (an explicit debug switch, `--log-client-details`) the
 * line also carries the client address and the full URL.
 *
 * fastify's own request logging (which prints both) is off (app.ts); the
 * pino serializers below also drop them should anything log a request.
 */
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';

/** Paths pino must never print. */
export const REDACTED_LOG_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'];

/** The logger option for `Fastify({ logger })`: the caller's, with redaction and privacy-preserving serializers. */
export function serverLoggerOption(logger: FastifyServerOptions['logger'], logClientDetails: boolean): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : (logger as Record<string, unknown>);
  const serializers = logClientDetails
    ? {}
    : {
        req: (req: { method?: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      };
  return { ...base, serializers: { ...(base.serializers as object), ...serializers }, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } } as FastifyServerOptions['logger'];
}

/** The `onResponse` hook writing the request line. */
export function requestLogHook(logClientDetails: boolean) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const line: Record<string, unknown> = {
      method: request.method,
      // Undefined for unmatched routes (404): the URL itself is never logged by default.
      route: request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (logClientDetails) {
      line.ip = request.ip;
      line.url = request.url;
    }
    request.log.info(line, 'request');
  };
}
