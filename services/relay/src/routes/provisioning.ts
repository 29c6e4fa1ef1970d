/**
 * Provisioning mailboxes: how a primary device hands a new device of the
 * same account its provisioning message (Signal's provisioning socket).
 *
 *   new device  GET /v1/provisioning (WebSocket, unauthenticated)
 *               ← {"type":"address","id","expiresAt"}   a fresh random mailbox id
 *   primary     PUT /v1/provisioning/:id  { body: base64 }   (relay credential)
 *               → new device ← {"type":"provision","body"}, then close 1000
 *
 * The body is the ProvisioningCipher envelope the primary sealed to the new
 * device's one-time public key; the relay only carries it and never logs it
 * (nor the mailbox id). A mailbox is single-use (gone once delivered, or
 * when its socket closes), expires after `ttlMs` (close 4408), refuses
 * frames from its client (close 1008), and mailboxes are bounded in number
 * globally and per remote address (503 TOO_MANY_MAILBOXES + Retry-After at
 * the upgrade). A body over `maxMessageBytes` is 413. Behind several relay
 * instances on PostgreSQL a mailbox opened on one can be written through any
 * other (provisioning/mailboxes.ts, `MailboxExchange`); the bounds are per
 * instance.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { authenticated, base64Length, HttpError, parseBase64, withErrors } from '@sealpost/service-kit';
import { verifyRelayDevice } from '../auth.ts';
import { Mailboxes } from '../provisioning/mailboxes.ts';
import { base64Schema } from '../schemas.ts';

export { DEFAULT_PROVISIONING_LIMITS, MAILBOX_CLOSE, type ProvisioningLimits } from '../provisioning/mailboxes.ts';

/** Codes of these routes (besides the kit's). */
export type ProvisioningErrorCode = 'UNKNOWN_MAILBOX' | 'PROVISIONING_MESSAGE_TOO_LARGE' | 'TOO_MANY_MAILBOXES';

/** 16 random bytes, base64url: 22 characters. */
const MAILBOX_ID_PATTERN = '^[A-Za-z0-9_-]{22}$';

/**
 * The key of the per-address bound: an IPv4 address as it is (also when
 * IPv4-mapped), an IPv6 address by its /64 — one host or subscriber usually
 * holds a whole /64, so counting single IPv6 addresses would bound nothing.
 */
export function addressGroup(ip: string): string {
  const bare = ip.split('%')[0]!.toLowerCase();
  if (!bare.includes(':')) return bare;
  if (bare.startsWith('::ffff:') && bare.includes('.')) return bare.slice(7);
  const [head = '', tail] = bare.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

function provisioningError(status: number, code: ProvisioningErrorCode, message: string, headers?: Record<string, string>): HttpError<ProvisioningErrorCode> {
  return new HttpError<ProvisioningErrorCode>(status, code, message, headers === undefined ? {} : { headers });
}

/** The provisioning routes over this instance's `mailboxes`. */
export function provisioningRoutes(mailboxes: Mailboxes): FastifyPluginAsync {
  const maxBase64 = base64Length(mailboxes.limits.maxMessageBytes);
  return async (app: FastifyInstance) => {
    const now = () => app.relay.now();
    app.addHook('onClose', async () => mailboxes.closeAll());

    app.get(
      '/v1/provisioning',
      {
        websocket: true,
        schema: { summary: 'Open a one-time provisioning mailbox (WebSocket, unauthenticated; see module docs)', tags: ['provisioning'], hide: true },
        preHandler: async (request: FastifyRequest) => {
          if (!mailboxes.admits(addressGroup(request.ip))) {
            throw provisioningError(503, 'TOO_MANY_MAILBOXES', 'too many open provisioning mailboxes; try again later', { 'retry-after': '30' });
          }
        },
      },
      async (socket, request) => {
        // Checked again: the upgrade is asynchronous, others may have taken the last place meanwhile.
        const address = addressGroup(request.ip);
        if (!mailboxes.admits(address)) {
          socket.close(1013, 'too many mailboxes');
          return;
        }
        let opened: { id: string; expiresAt: number };
        try {
          // Addressable through every instance before the client learns the id.
          opened = await mailboxes.open(socket, address, now());
        } catch {
          return; // closed with 1011 (and logged) by `open`
        }
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'address', id: opened.id, expiresAt: opened.expiresAt }));
      },
    );

    await app.register(
      authenticated(verifyRelayDevice, async (scope) => {
        scope.put<{ Params: { mailboxId: string }; Body: { body: string } }>(
          '/v1/provisioning/:mailboxId',
          {
            bodyLimit: maxBase64 + 1024,
            schema: {
              summary: "Deliver a provisioning message to a new device's mailbox (single use)",
              tags: ['provisioning'],
              headers: { type: 'object', properties: { authorization: { type: 'string' } } },
              params: { type: 'object', required: ['mailboxId'], properties: { mailboxId: { type: 'string', pattern: MAILBOX_ID_PATTERN } } },
              body: { type: 'object', required: ['body'], additionalProperties: false, properties: { body: { ...base64Schema, minLength: 1 } } },
              response: withErrors({ 204: { type: 'null' } }),
            },
          },
          async (request, reply) => {
            const text = request.body.body;
            const tooLarge = () => provisioningError(413, 'PROVISIONING_MESSAGE_TOO_LARGE', `a provisioning message is at most ${mailboxes.limits.maxMessageBytes} bytes`);
            // The text length first (no decoding of oversized input), then the exact decoded size.
            if (text.length > maxBase64) throw tooLarge();
            const body = parseBase64(text);
            if (body === undefined) throw new HttpError(400, 'BAD_BASE64', 'body is not canonical padded base64');
            if (body.length > mailboxes.limits.maxMessageBytes) throw tooLarge();
            if (!(await mailboxes.deliver(request.params.mailboxId, body, now()))) {
              throw provisioningError(404, 'UNKNOWN_MAILBOX', 'no open provisioning mailbox with this id (expired, used or never opened)');
            }
            return reply.status(204).send();
          },
        );
      }),
    );
  };
}
