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
import { enforceRateLimit, type RateLimiter } from './rate-limiter.ts';
import type { RelayCredentialIssuer } from './relay-credential-issuer.ts';
import type { SenderCertificateIssuer } from './sender-certificates.ts';

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
  registrationLimiter: RateLimiter | undefined;
  senderCertificates: SenderCertificateIssuer | undefined;
  relayCredentials: RelayCredentialIssuer | undefined;
  /** Raw Ed25519 public key relays verify credentials with. */
  relayPublicKey: Uint8Array | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The key server's shared state (decorated once in `buildKeyServer`). */
    keyserver: KeyServerContext;
  }
}

/** `onRequest` hook of the routes that create accounts or devices: a per-client-address limit, checked before the body is read. */
export async function limitRegistrations(request: FastifyRequest): Promise<void> {
  const ctx = request.server.keyserver;
  enforceRateLimit(ctx.registrationLimiter, `register:${request.ip}`, ctx.now(), 'registrations from this address');
}
