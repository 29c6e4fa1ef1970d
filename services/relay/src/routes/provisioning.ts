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
 * the upgrade). A body over `maxMessageBytes` is 413. Mailboxes live in this
 * process: behind several relay instances, route /v1/provisioning* to one.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { authenticated, base64Length, encodeBase64, HttpError, parseBase64, withErrors } from '@sealpost/service-kit';
import { verifyRelayDevice } from '../auth.ts';
import { base64Schema } from '../schemas.ts';

/** Bounds of the provisioning mailboxes. */
export interface ProvisioningLimits {
  /** How long a mailbox waits for its message, ms (default 5 min). */
  ttlMs: number;
  /** Most open mailboxes in this relay (default 1000). */
  maxMailboxes: number;
  /** Most open mailboxes per remote address — IPv4 address or IPv6 /64 (default 8). */
  maxMailboxesPerAddress: number;
  /** Largest provisioning message (decoded body), bytes (default 16 KiB). */
  maxMessageBytes: number;
}

/** Defaults: a few minutes to scan a QR code; a provisioning message is well under 1 KiB. */
export const DEFAULT_PROVISIONING_LIMITS: ProvisioningLimits = { ttlMs: 5 * 60_000, maxMailboxes: 1000, maxMailboxesPerAddress: 8, maxMessageBytes: 16 * 1024 };

/** Codes of these routes (besides the kit's). */
export type ProvisioningErrorCode = 'UNKNOWN_MAILBOX' | 'PROVISIONING_MESSAGE_TOO_LARGE' | 'TOO_MANY_MAILBOXES';

/** Close codes of a mailbox socket. */
export const MAILBOX_CLOSE = { delivered: 1000, clientFrame: 1008, expired: 4408, shutdown: 1012 } as const;

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

interface Mailbox {
  socket: WebSocket;
  address: string;
  timer: NodeJS.Timeout;
}

/** The open mailboxes of this process. */
class Mailboxes {
  readonly #open = new Map<string, Mailbox>();
  readonly #perAddress = new Map<string, number>();

  constructor(readonly limits: ProvisioningLimits) {}

  /** Whether one more mailbox for `address` is within bounds. */
  admits(address: string): boolean {
    return this.#open.size < this.limits.maxMailboxes && (this.#perAddress.get(address) ?? 0) < this.limits.maxMailboxesPerAddress;
  }

  open(socket: WebSocket, address: string, now: number): { id: string; expiresAt: number } {
    const id = randomBytes(16).toString('base64url');
    const timer = setTimeout(() => this.#end(id, MAILBOX_CLOSE.expired, 'mailbox expired'), this.limits.ttlMs);
    timer.unref();
    this.#open.set(id, { socket, address, timer });
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.on('message', () => this.#end(id, MAILBOX_CLOSE.clientFrame, 'mailbox sockets only receive'));
    socket.on('close', () => this.#remove(id));
    socket.on('error', () => this.#remove(id));
    return { id, expiresAt: now + this.limits.ttlMs };
  }

  /** Hands `body` to the mailbox's socket and ends the mailbox; false when there is no such open mailbox. */
  deliver(id: string, body: Uint8Array): boolean {
    const box = this.#open.get(id);
    if (box === undefined || box.socket.readyState !== box.socket.OPEN) return false;
    this.#remove(id);
    box.socket.send(JSON.stringify({ type: 'provision', body: encodeBase64(body) }), () => box.socket.close(MAILBOX_CLOSE.delivered, 'delivered'));
    return true;
  }

  #remove(id: string): Mailbox | undefined {
    const box = this.#open.get(id);
    if (box === undefined) return undefined;
    this.#open.delete(id);
    clearTimeout(box.timer);
    const left = (this.#perAddress.get(box.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(box.address, left);
    else this.#perAddress.delete(box.address);
    return box;
  }

  #end(id: string, code: number, reason: string): void {
    this.#remove(id)?.socket.close(code, reason);
  }

  /** Closes every mailbox (relay shutdown). */
  closeAll(): void {
    for (const id of [...this.#open.keys()]) this.#end(id, MAILBOX_CLOSE.shutdown, 'relay shutting down');
  }

  get size(): number {
    return this.#open.size;
  }
}

function provisioningError(status: number, code: ProvisioningErrorCode, message: string, headers?: Record<string, string>): HttpError<ProvisioningErrorCode> {
  return new HttpError<ProvisioningErrorCode>(status, code, message, headers === undefined ? {} : { headers });
}

/** The provisioning routes with `limits` (defaults for what is not given). */
export function provisioningRoutes(limits: Partial<ProvisioningLimits> = {}): FastifyPluginAsync {
  const mailboxes = new Mailboxes({ ...DEFAULT_PROVISIONING_LIMITS, ...limits });
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
      (socket, request) => {
        // Checked again: the upgrade is asynchronous, others may have taken the last place meanwhile.
        const address = addressGroup(request.ip);
        if (!mailboxes.admits(address)) {
          socket.close(1013, 'too many mailboxes');
          return;
        }
        const { id, expiresAt } = mailboxes.open(socket, address, now());
        socket.send(JSON.stringify({ type: 'address', id, expiresAt }));
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
            if (!mailboxes.deliver(request.params.mailboxId, body)) {
              throw provisioningError(404, 'UNKNOWN_MAILBOX', 'no open provisioning mailbox with this id (expired, used or never opened)');
            }
            return reply.status(204).send();
          },
        );
      }),
    );
  };
}
