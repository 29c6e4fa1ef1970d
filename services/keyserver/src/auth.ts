/**
 * Device authentication: `Authorization: Basic base64("<accountId>.<deviceId>:<secret>")`
 * where `<secret>` is the device secret in standard base64. Every failure is
 * a 401; unknown accounts, unknown devices and wrong secrets share one
 * message so the answer does not reveal which accounts or devices exist.
 */
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './errors.ts';
import { DEVICE_SECRET_LENGTH, deviceSecretMatches } from './device-secret.ts';
import type { KeyStore } from './store/key-store.ts';

/** The device a request authenticated as. */
export interface AuthenticatedDevice {
  accountId: string;
  deviceId: number;
  registrationId: number;
}

const USER_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([1-9][0-9]{0,2})$/;
const SECRET_RE = /^[A-Za-z0-9+/]{43}=$/;
const MAX_HEADER_LENGTH = 512;
// Compared against when the device is unknown, so both paths hash and compare.
const DUMMY_HASH = new Uint8Array(32);

/** Builds the header value a client sends (used by tests, the demo and the SDK). */
export function basicAuthHeader(accountId: string, deviceId: number, secret: Uint8Array): string {
  const user = `${accountId}.${deviceId}:${Buffer.from(secret).toString('base64')}`;
  return `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;
}

/** Authenticates a request's device or throws a 401 `KeyServerError`. */
export function authenticateDevice(request: FastifyRequest, store: KeyStore): AuthenticatedDevice {
  const header = request.headers.authorization;
  if (header === undefined) throw unauthorized('missing Authorization header');
  if (header.length > MAX_HEADER_LENGTH) throw unauthorized('Authorization header too long');
  const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(header);
  if (m === null) throw unauthorized('Authorization must be Basic credentials');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw unauthorized('Basic credentials must be "<accountId>.<deviceId>:<secret>"');
  const user = USER_RE.exec(decoded.slice(0, colon));
  if (user === null) throw unauthorized('Basic user must be "<accountId>.<deviceId>" with a lower-case UUID');
  const password = decoded.slice(colon + 1);
  if (!SECRET_RE.test(password)) throw unauthorized(`device secret must be ${DEVICE_SECRET_LENGTH} bytes in base64`);
  const accountId = user[1]!;
  const deviceId = Number(user[2]);
  const secret = Buffer.from(password, 'base64');
  const creds = store.deviceCredentials(accountId, deviceId);
  const ok = deviceSecretMatches(secret, creds?.secretHash ?? DUMMY_HASH);
  if (!ok || creds === undefined) throw unauthorized('invalid credentials');
  return { accountId, deviceId, registrationId: creds.registrationId };
}
