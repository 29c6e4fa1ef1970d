/**
 * The relay's resolved configuration and collaborators, decorated once on
 * the fastify instance as `app.relay` and read by every route plugin.
 */
import type { CredentialVerifier } from './auth.ts';
import type { DeliveryNotifier } from './delivery-hub.ts';
import type { DeviceAuthorizer } from './device-authorizer.ts';
import type { DeviceDirectory } from './device-directory.ts';
import type { DeviceRevocation } from './device-revocation.ts';
import type { OpenSockets } from './open-sockets.ts';
import type { AccessKeyStore, EnvelopeStore } from './store/index.ts';

/** Limits and timings (all have defaults, see `DEFAULT_LIMITS`). */
export interface RelayLimits {
  /** Largest sealed envelope accepted, in bytes (decoded). */
  maxEnvelopeBytes: number;
  /** Most envelopes queued per device; beyond it sends get 429 QUEUE_FULL. */
  maxQueueDepth: number;
  /** How long an unacknowledged envelope is kept, in ms. */
  messageTtlMs: number;
  /** Most envelopes returned by one poll / kept in flight on one WebSocket. */
  maxBatch: number;
  /** Most devices one single-recipient send may address. */
  maxDevicesPerSend: number;
  /** Most recipients in one multi-recipient send. */
  maxRecipientsPerSend: number;
}

/** Defaults chosen for a small deployment; override per option. */
export const DEFAULT_LIMITS: RelayLimits = {
  maxEnvelopeBytes: 256 * 1024,
  maxQueueDepth: 10_000,
  messageTtlMs: 7 * 24 * 3600 * 1000,
  maxBatch: 100,
  maxDevicesPerSend: 32,
  maxRecipientsPerSend: 1000,
};

/** What route handlers use. */
export interface RelayContext {
  /** The queues (and everything else the store holds). */
  store: EnvelopeStore;
  /** Access-key hashes: the store itself, or a TTL cache in front of it. */
  accessKeys: AccessKeyStore;
  devices: DeviceDirectory;
  verifyCredential: CredentialVerifier;
  /**
   * The audience relay credentials must name: this relay's public origin
   * (`RelayOptions.audience`, else the origin it listens on, set once it
   * listens). Undefined until then: every credential is refused.
   */
  audience: string | undefined;
  /** Whether a credential's device is still registered (≤ 2 s old answers). */
  authorizer: DeviceAuthorizer;
  /** Closing and purging removed devices. */
  revocation: DeviceRevocation;
  /** This instance's open WebSockets, revalidated periodically. */
  openSockets: OpenSockets;
  /** Commit notices to connected devices (in-process `DeliveryHub` by default). */
  hub: DeliveryNotifier;
  limits: RelayLimits;
  now: () => number;
}

declare module 'fastify' {
  interface FastifyInstance {
    relay: RelayContext;
  }
}
