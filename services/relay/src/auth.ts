/**
 * Recipient-device authentication with relay credentials issued by the key
 * server: short-lived signed tokens the relay verifies with the key server's
 * public key alone (it holds no account database). Senders never
 * authenticate — they show an unidentified-access key instead.
 *
 * Routes that need a device are registered inside an `authenticated(...)`
 * scope of the service kit, whose `onRequest` hook runs `verifyRelayDevice`
 * and sets `request.device`; `deviceOf<AuthenticatedDevice>(request)` gives
 * the relay's richer type (with the credential's expiry).
 */
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedDevice as KitDevice } from '@sealpost/service-kit';
import { relayError } from './errors.ts';

/** Who a valid credential names. */
export interface AuthenticatedDevice extends KitDevice {
  accountId: string;
  deviceId: number;
  /** When the credential stops being valid (ms since epoch), if the verifier says. */
  expiresAt?: number;
}

/** Verifies a bearer token at time `now` (ms); undefined when invalid or expired. */
export type CredentialVerifier = (token: string, now: number) => AuthenticatedDevice | undefined;

const CHALLENGE = { 'www-authenticate': 'Bearer realm="sealpost-relay"' };

/** Extracts the bearer token from `Authorization` (or `?token=` for WebSocket clients that cannot set headers). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(header);
    return m?.[1];
  }
  const q = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' && q.length > 0 && q.length <= 4096 ? q : undefined;
}

/** Authenticates the request's device or throws a 401 `HttpError` (UNAUTHORIZED). */
export function authenticate(request: FastifyRequest, verify: CredentialVerifier, now: number): AuthenticatedDevice {
  const token = bearerToken(request);
  if (token === undefined) throw relayError(401, 'UNAUTHORIZED', 'missing or malformed bearer credential', { headers: CHALLENGE });
  let device: AuthenticatedDevice | undefined;
  try {
    device = verify(token, now);
  } catch {
    device = undefined;
  }
  if (device === undefined) throw relayError(401, 'UNAUTHORIZED', 'invalid or expired relay credential', { headers: CHALLENGE });
  return device;
}

/** The kit `DeviceVerifier` of the relay's authenticated scope. */
export function verifyRelayDevice(request: FastifyRequest): AuthenticatedDevice {
  const ctx = request.server.relay;
  return authenticate(request, ctx.verifyCredential, ctx.now());
}
