/**
 * What every route group shares, decorated once on the app as
 * `app.keyserver`: the domain managers, the verifier authenticated scopes
 * run, the credential issuers, settings and clock.
 */
import type { FastifyRequest } from 'fastify';
import type { DeviceVerifier } from '@sealpost/service-kit';
import type { AuthenticatedDevice } from './auth.ts';
import type { KeyServerSettings } from './config.ts';
import type { Accounts } from './domain/accounts.ts';
import type { Devices } from './domain/devices.ts';
import type { Keys } from './domain/keys.ts';
import type { KtLog } from './kt/kt-log.ts';
import { clientAddressKey } from './client-address.ts';
import { enforceRateLimit, type RateLimitStore } from './rate-limiter.ts';
import type { RegistrationGate } from './registration-gate.ts';
import type { RelayCredentialIssuer } from './relay-credential-issuer.ts';
import type { SenderCertificateIssuer } from './sender-certificates.ts';
import type { SharedState } from './shared-state.ts';

/** Shared state of one key server instance. */
export interface KeyServerContext {
  accounts: Accounts;
  devices: Devices;
  keys: Keys;
  /** Basic-auth device check, run by every authenticated scope's onRequest hook. */
  authenticate: DeviceVerifier<AuthenticatedDevice>;
  settings: KeyServerSettings;
  /** Milliseconds since the epoch (injectable for tests). */
  now: () => number;
  /** Bundle fetches per (requester device, target account). */
  bundleLimiter: RateLimitStore | undefined;
  /** One-time keys handed out per target device. */
  targetBudget: RateLimitStore | undefined;
  /** Account creations and device links per client address (IPv6 /64). */
  registrationLimiter: RateLimitStore | undefined;
  /** `PUT /v1/keys` per device. */
  keyUploadLimiter: RateLimitStore | undefined;
  /** `GET /v1/certificate/sender` per device. */
  senderCertificateLimiter: RateLimitStore | undefined;
  /** `GET /v1/accounts/:id/devices` per device (Basic credentials). */
  deviceListLimiter: RateLimitStore | undefined;
  /** `GET /v1/accounts/:id/devices` per client address (IPv6 /64), unauthenticated; its own map, so an address flood cannot crowd out devices. */
  deviceListAddressLimiter: RateLimitStore | undefined;
  /** Whether a client address is exempt from the device-list limit (the relays). */
  isTrustedDirectoryClient: (address: string) => boolean;
  registrationGate: RegistrationGate;
  senderCertificates: SenderCertificateIssuer | undefined;
  relayCredentials: RelayCredentialIssuer | undefined;
  /** Raw Ed25519 public key relays verify credentials with. */
  relayPublicKey: Uint8Array | undefined;
  /** Key-transparency searches and handle lookups per client address (IPv6 /64). */
  ktSearchLimiter: RateLimitStore | undefined;
  /** The key-transparency log; undefined when KT is not configured. */
  keyTransparency: KtLog | undefined;
  /** Where limiters and spent ids live (this process, or PostgreSQL shared by instances). */
  sharedState: SharedState;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The key server's shared state (decorated once in `buildKeyServer`). */
    keyserver: KeyServerContext;
  }
}

/** `onRequest` hook of the routes that create accounts or devices: a per-client-address limit (IPv6 by /64), checked before the body is read. */
export async function limitRegistrations(request: FastifyRequest): Promise<void> {
  const ctx = request.server.keyserver;
  await enforceRateLimit(ctx.registrationLimiter, `register:${clientAddressKey(request.ip)}`, ctx.now(), 'registrations from this address');
}

/** Per-device limit on a route inside an authenticated scope (`onRequest`, after the scope's authentication hook). */
export function limitPerDevice(pick: (ctx: KeyServerContext) => RateLimitStore | undefined, what: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const ctx = request.server.keyserver;
    await enforceRateLimit(pick(ctx), `${request.device.accountId}.${request.device.deviceId}`, ctx.now(), what);
  };
}
