/**
 * Logging that cannot identify a sender: fastify's request logging (which
 * prints the remote address, port and full URL) is off; the relay writes
 * its own one-line access record with only the method, the route TEMPLATE
 * (`/v1/messages/:accountId`, never the values), status and duration.
 * Headers (credentials, access keys), bodies, IPs and query strings are
 * never logged.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

/** Logging options of the relay. */
export interface RelayLogOptions {
  /** pino level; 'silent' turns logging off. Default 'info'. */
  level?: string;
  /** Where log lines go (default stdout). Tests pass a capturing stream. */
  stream?: DestinationStream;
  /** Write the per-request access line (default true). */
  logRequests?: boolean;
}

/** Builds the relay's pino logger with the identifying fields redacted as a second guard. */
export function createRelayLogger(options: RelayLogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'relay' },
      // Belt and braces: should any code path log a request object, drop what identifies the peer.
      redact: {
        paths: ['req.remoteAddress', 'req.remotePort', 'req.headers', 'req.url', 'req.query', 'req.body', 'hostname', 'remoteAddress', 'ip'],
        remove: true,
      },
      serializers: {
        req: (req: { method?: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    options.stream ?? pino.destination(1),
  );
}
