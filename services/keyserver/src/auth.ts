/**
 * Device authentication: `Authorization: Basic base64("<accountId>.<deviceId>:<secret>")`
 * where `<secret>` is the device secret in standard base64. Every failure is
 * a 401; unknown accounts, unknown devices and wrong secrets share one
 * message so the answer does not reveal which accounts or devices exist.
 * `deviceVerifier` is what the kit's `authenticated(...)` scopes run in
 * their `onRequest` hook; handlers read the result as `request.device`.
 */
import type { FastifyRequest } from 'fastify';
import { encodeBase64, type AuthenticatedDevice as KitAuthenticatedDevice, type DeviceVerifier } from '@sealpost/service-kit';
import { KeyServerError, unauthorized } from './errors.ts';
import { DEVICE_SECRET_LENGTH, deviceSecretMatches } from './device-secret.ts';
import type { KeyStore } from './store/key-store.ts';

/** The device a request authenticated as (`request.device` inside authenticated scopes). */
export interface AuthenticatedDevice extends KitAuthenticatedDevice {
  readonly registrationId: number;
}

const USER_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([1-9][0-9]{0,2})$/;
const SECRET_RE = /^[A-Za-z0-9+/]{43}=$/;
const MAX_HEADER_LENGTH = 512;
// Compared against when the device is unknown, so both paths hash and compare.
const DUMMY_HASH = new Uint8Array(32);

/** Builds the header value a client sends (used by tests, the demo and the SDK). */
export function basicAuthHeader(accountId: string, deviceId: number, secret: Uint8Array): string {
  return `Basic ${Buffer.from(`${accountId}.${deviceId}:${encodeBase64(secret)}`, 'utf8').toString('base64')}`;
}

/** Authenticates a request's device against `store`, or throws a 401 `KeyServerError`. */
export async function authenticateDevice(request: FastifyRequest, store: KeyStore): Promise<AuthenticatedDevice> {
  const header = request.headers.authorization;
  if (header === undefined) throw unauthorized('missing Authorization header');
  if (header.length > MAX_HEADER_LENGTH) throw unauthorized('Authorization header too long');
  const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(header);
  if (m === null) throw unauthorized('Authorization must be Basic credentials');
  // Lenient on purpose: the header is a transport wrapper; the secret inside is checked strictly below.
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthorized('Basic credentials must be "<accountId>.<deviceId>:<secret>"');
  const user = USER_RE.exec(decoded.slice(0, colon));
  if (user === null) throw unauthorized('Basic user must be "<accountId>.<deviceId>" with a lower-case UUID');
  const password = decoded.slice(colon + 1);
  if (!SECRET_RE.test(password)) throw unauthorized(`device secret must be ${DEVICE_SECRET_LENGTH} bytes in base64`);
  const accountId = user[1]!;
  const deviceId = Number(user[2]);
  const secret = new Uint8Array(Buffer.from(password, 'base64'));
  const creds = await store.deviceCredentials(accountId, deviceId);
  const ok = deviceSecretMatches(secret, creds?.secretHash ?? DUMMY_HASH);
  if (!ok || creds === undefined) {
    // A deleted account's devices learn why (deletion is public: its device list answers 410 too).
    if (creds === undefined && (await store.accountDeleted(accountId))) {
      throw new KeyServerError(401, 'ACCOUNT_DELETED', 'this account was deleted', { headers: { 'www-authenticate': 'Basic realm="sealpost-keyserver"' } });
    }
    throw unauthorized('invalid credentials');
  }
  return { accountId, deviceId, registrationId: creds.registrationId };
}

/** The verifier the authenticated scopes use. */
export function deviceVerifier(store: KeyStore): DeviceVerifier<AuthenticatedDevice> {
  return (request) => authenticateDevice(request, store);
}
