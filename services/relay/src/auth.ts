/**
 * Recipient-device authentication with relay credentials issued by the key
 * server, in two steps:
 *
 * 1. offline: the token's signature (the key server's public key), expiry
 *    and audience (this relay's own, `RelayContext.audience`);
 * 2. online: the device it names — (account, device, registration id) — is
 *    still listed by the key server (`DeviceAuthorizer`, cached ≤ 2 s), so a
 *    removed device is refused within seconds, not when its token expires.
 *    A confirmed removal also closes its sockets and purges its queue (the
 *    authorizer's `onRemoved`). When the key server cannot be asked: 503
 *    with Retry-After.
 *
 * Senders never authenticate — they show an unidentified-access key instead.
 * The token travels in `Authorization: Bearer`; `?token=` is accepted only
 * on the WebSocket upgrade (browsers cannot set headers there), never on
 * HTTP routes, where a query string ends up in logs and caches.
 *
 * Routes that need a device are registered inside an `authenticated(...)`
 * scope of the service kit, whose `onRequest` hook runs `verifyRelayDevice`
 * and sets `request.device`; `deviceOf<AuthenticatedDevice>(request)` gives
 * the relay's richer type.
 */
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedDevice as KitDevice } from '@sealpost/service-kit';
import type { RelayContext } from './context.ts';
import { relayError } from './errors.ts';

/** Who a valid credential names. */
export interface AuthenticatedDevice extends KitDevice {
  accountId: string;
  deviceId: number;
  /** The device's registration id when the credential was issued. */
  registrationId: number;
  /** When the credential stops being valid (ms since epoch). */
  expiresAt: number;
  /** The relay the credential is for. */
  audience: string;
}

/** Verifies a bearer token at time `now` (ms); undefined when invalid or expired. */
export type CredentialVerifier = (token: string, now: number) => AuthenticatedDevice | undefined;

const CHALLENGE = { 'www-authenticate': 'Bearer realm="sealpost-relay"' };
const TOKEN_RE = /^[A-Za-z0-9._~+/=-]{1,4096}$/;

function unauthorized(message: string) {
  return relayError(401, 'UNAUTHORIZED', message, { headers: CHALLENGE });
}

/** Extracts the bearer token from `Authorization` (or `?token=` on a WebSocket upgrade only). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer (.+)$/.exec(header);
    return m !== null && TOKEN_RE.test(m[1]!) ? m[1] : undefined;
  }
  // `request.ws` is set by @fastify/websocket for upgrade requests only.
  if ((request as { ws?: boolean }).ws !== true) return undefined;
  const q = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' && TOKEN_RE.test(q) ? q : undefined;
}

/**
 * Step 1: the credential's signature, expiry and audience (no I/O). Throws
 * a 401 `HttpError` (UNAUTHORIZED) when any fails.
 */
export function authenticate(request: FastifyRequest, verify: CredentialVerifier, now: number, audience: string | undefined): AuthenticatedDevice {
  const token = bearerToken(request);
  if (token === undefined) throw unauthorized('missing or malformed bearer credential');
  let device: AuthenticatedDevice | undefined;
  try {
    device = verify(token, now);
  } catch {
    device = undefined;
  }
  if (device === undefined) throw unauthorized('invalid or expired relay credential');
  if (audience === undefined) throw unauthorized('this relay has no audience yet (configure its public origin)');
  if (device.audience !== audience) throw unauthorized('relay credential is for another relay (audience)');
  return device;
}

/**
 * Step 2: the device is still registered with the credential's registration
 * id. Throws 401 when it is not (a removed device's sockets are closed and
 * its queue purged), 503 when the key server cannot tell.
 */
export async function requireCurrentDevice(ctx: RelayContext, device: AuthenticatedDevice, arrivedAt: number): Promise<void> {
  let standing;
  try {
    standing = await ctx.authorizer.standing(device, arrivedAt);
  } catch {
    throw relayError(503, 'KEYSERVER_UNAVAILABLE', 'cannot check the device with the key server; try again', { headers: { 'retry-after': String(ctx.limits.retryAfterSeconds) } });
  }
  if (standing === 'current') return;
  // A first confirmed removal has already been handed to ctx.revocation (sockets closed, queue purged).
  throw unauthorized(standing === 'removed' ? 'the device of this credential was removed' : 'the device of this credential was replaced');
}

/** Both steps: a credential of a current device, or a thrown 401/503. */
export async function authenticateCurrent(request: FastifyRequest, ctx: RelayContext, arrivedAt = ctx.now()): Promise<AuthenticatedDevice> {
  const device = authenticate(request, ctx.verifyCredential, arrivedAt, ctx.audience);
  await requireCurrentDevice(ctx, device, arrivedAt);
  return device;
}

/** The kit `DeviceVerifier` of the relay's authenticated scope; WebSocket upgrades are tracked for revalidation. */
export async function verifyRelayDevice(request: FastifyRequest): Promise<AuthenticatedDevice> {
  const ctx = request.server.relay;
  const arrivedAt = ctx.now();
  const device = await authenticateCurrent(request, ctx, arrivedAt);
  if ((request as { ws?: boolean }).ws === true) {
    ctx.openSockets.watch(device.accountId, device.deviceId, device.registrationId, request.raw.socket, ctx.now());
  }
  return device;
}
