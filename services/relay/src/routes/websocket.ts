/**
 * Push delivery over WebSocket: `GET /v1/websocket` with a relay credential.
 *
 * Server → client: `{"type":"envelope","id","content"(base64),"receivedAt"}`,
 * and once the initial backlog is sent, `{"type":"queue-empty"}`.
 * Client → server: `{"type":"ack","id"}` or `{"type":"ack","ids":[...]}`
 * (see websocket/client-frames.ts; anything else closes the connection).
 *
 * At most `maxBatch` envelopes and `wsWindowBytes` bytes are in flight (sent,
 * unacknowledged) per connection, and nothing is written while the socket
 * has more than `wsMaxBufferedBytes` buffered. Unacknowledged envelopes stay
 * in the database and are sent again on the next connection; acknowledged
 * ones are deleted.
 *
 * One live connection per device: a new one replaces the old (closed with
 * 4409). At most `wsMaxConnections` per process (beyond: 503 on upgrade).
 *
 * Close codes: 1003 binary frame, 1007 not JSON, 1008 invalid frame or frame
 * rate exceeded, 1009 frame too large, 1011 internal error, 4401 credential
 * expired, 4409 replaced by a newer connection of the same device.
 */
import type { FastifyInstance } from 'fastify';
import { deviceOf } from '@sealpost/service-kit';
import type { AuthenticatedDevice } from '../auth.ts';
import { relayError } from '../errors.ts';
import { clientFrameDecoder } from '../websocket/client-frames.ts';
import { DeviceSession } from '../websocket/device-session.ts';
import { FlushBudget } from '../websocket/flush-budget.ts';

/** Close code of a connection replaced by a newer one of the same device. */
export const CLOSE_REPLACED = 4409;
/** Close code of a connection whose credential expired. */
export const CLOSE_CREDENTIAL_EXPIRED = 4401;

const deviceKey = (d: AuthenticatedDevice): string => `${d.accountId}\u0000${d.deviceId}`;

/** Registers the WebSocket route. */
export async function websocketRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.relay;
  const decode = clientFrameDecoder(ctx.limits.wsMaxAckIds);
  const largeFrames = new FlushBudget(ctx.limits.wsLargeFrameBudgetBytes);
  /** The live session of each device on this instance. */
  const live = new Map<string, DeviceSession>();
  /** Open sockets (including ones being closed). */
  let open = 0;

  app.get(
    '/v1/websocket',
    {
      websocket: true,
      // Before the upgrade: a full relay answers 503 (a device replacing its own connection is let in).
      preValidation: async (request) => {
        if (open >= ctx.limits.wsMaxConnections && !live.has(deviceKey(deviceOf<AuthenticatedDevice>(request)))) {
          throw relayError(503, 'UNAVAILABLE', 'too many open connections', { headers: { 'retry-after': String(ctx.limits.retryAfterSeconds) } });
        }
      },
      schema: {
        summary: 'Push delivery of queued envelopes (WebSocket; see module docs for frames)',
        tags: ['receive'],
        hide: true,
        querystring: { type: 'object', properties: { token: { type: 'string', maxLength: 4096 } } },
      },
    },
    (socket, request) => {
      open++;
      const device = deviceOf<AuthenticatedDevice>(request);
      const key = deviceKey(device);
      live.get(key)?.disconnect(CLOSE_REPLACED, 'replaced by a newer connection of this device');
      const session = new DeviceSession(ctx, socket, device, request.log, decode, largeFrames);
      live.set(key, session);
      const unsubscribe = ctx.hub.subscribe(device.accountId, device.deviceId, session);
      // A connection lives no longer than its credential: the client reconnects with a fresh one.
      let expiry: NodeJS.Timeout | undefined;
      if (device.expiresAt !== undefined) {
        const ms = Math.max(0, Math.min(device.expiresAt - ctx.now(), 2 ** 31 - 1));
        expiry = setTimeout(() => session.disconnect(CLOSE_CREDENTIAL_EXPIRED, 'credential expired'), ms);
      }
      // Heartbeat: a peer that misses a pong for a whole interval is gone (NAT, sleep, or never
      // reading); drop it so its unacknowledged envelopes wait for the next connection.
      let alive = true;
      socket.on('pong', () => {
        alive = true;
      });
      const heartbeat = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, ctx.limits.wsHeartbeatMs);
      heartbeat.unref();
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        open--;
        if (live.get(key) === session) live.delete(key);
        session.released();
        unsubscribe();
        clearInterval(heartbeat);
        if (expiry !== undefined) clearTimeout(expiry);
      };
      socket.on('message', (data, isBinary) => session.onMessage(data, isBinary));
      socket.on('close', done);
      socket.on('error', (err) => {
        request.log.debug({ err: { message: err.message } }, 'websocket error');
        done();
      });
      void session.pump();
    },
  );
}
