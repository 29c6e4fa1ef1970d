/** What every route group shares: storage, settings, clock, limiters, signers. */
import type { FastifyRequest } from 'fastify';
import type { KeyServerSettings } from './config.ts';
import { KeyServerError } from './errors.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { RelayCredentialIssuer } from './relay-credentials.ts';
import type { SenderCertificateIssuer } from './sender-certificates.ts';
import type { KeyStore } from './store/key-store.ts';

/** Shared state of one key server instance. */
export interface KeyServerContext {
  store: KeyStore;
  settings: KeyServerSettings;
  /** Milliseconds since the epoch (injectable for tests). */
  now: () => number;
  bundleLimiter: RateLimiter | undefined;
  registrationLimiter: RateLimiter | undefined;
  senderCertificates: SenderCertificateIssuer | undefined;
  relayCredentials: RelayCredentialIssuer | undefined;
  /** Raw Ed25519 public key relays verify credentials with. */
  relayPublicKey: Uint8Array | undefined;
}

/** Takes a permit or throws 429 with Retry-After (whole seconds, at least 1). */
export function enforceRateLimit(limiter: RateLimiter | undefined, key: string, now: number, what: string): void {
  if (limiter === undefined) return;
  const d = limiter.take(key, now);
  if (!d.allowed) {
    const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    throw new KeyServerError(429, 'RATE_LIMITED', `too many ${what}; retry in ${seconds} s`, { 'retry-after': String(seconds) });
  }
}

/** The client address a per-IP limit counts against. */
export function clientAddress(request: FastifyRequest): string {
  return request.ip;
}
