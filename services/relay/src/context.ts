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
import type { SendLimiter } from './limits/send-limits.ts';
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
  /** Most envelope bytes queued per device; beyond it sends get 429 QUEUE_FULL. */
  maxQueueBytes: number;
  /** Most envelope bytes (decoded) in one poll response; at least one envelope is always returned. */
  maxPollBytes: number;
  /** WebSocket: envelope bytes in flight (sent, unacknowledged) per connection. */
  wsWindowBytes: number;
  /** WebSocket: a frame is written only if the socket's buffer is empty or stays under this many bytes; pushing resumes on drain. */
  wsMaxBufferedBytes: number;
  /** WebSocket: bytes all sockets together may hold in frames larger than `wsMaxBufferedBytes` not yet taken by the kernel. */
  wsLargeFrameBudgetBytes: number;
  /** WebSocket: most open connections per relay process (beyond: 503 on upgrade). */
  wsMaxConnections: number;
  /** WebSocket: largest client frame, bytes (larger: closed with 1009). */
  wsMaxFrameBytes: number;
  /** WebSocket: most ids in one ack frame. */
  wsMaxAckIds: number;
  /** WebSocket: client frames allowed per second per connection (token bucket; each pushed envelope adds one credit). */
  wsFramesPerSecond: number;
  /** WebSocket: burst of client frames allowed beyond the rate (bucket size). */
  wsFrameBurst: number;
  /** WebSocket: ping interval, ms; a peer that misses a whole interval's pong is dropped. */
  wsHeartbeatMs: number;
  /** Sealed sends per (recipient account, sender source): bucket size in envelopes. */
  recipientSourceBurst: number;
  /** Sealed sends per (recipient account, sender source): refill, envelopes per hour. */
  recipientSourcePerHour: number;
  /** Sealed sends per (recipient account, sender source): bucket size in bytes. */
  recipientSourceBytesBurst: number;
  /** Sealed sends per (recipient account, sender source): refill, bytes per hour. */
  recipientSourceBytesPerHour: number;
  /** Sealed sends per sender source (all recipients): bucket size in envelopes. */
  sourceBurst: number;
  /** Sealed sends per sender source: refill, envelopes per second. */
  sourcePerSecond: number;
  /** Sealed sends per sender source: bucket size in bytes. */
  sourceBytesBurst: number;
  /** Sealed sends per sender source: refill, bytes per second. */
  sourceBytesPerSecond: number;
  /** Most rate-limit buckets kept in memory (per kind). */
  rateLimitEntries: number;
  /** New envelopes are refused (507) while the database's file system has less free space than this, bytes. */
  minFreeDiskBytes: number;
  /** Space kept preallocated next to the database and released when the disk fills, so deletions still commit, bytes. */
  diskReserveBytes: number;
  /** How often free disk space is checked, ms. */
  diskCheckMs: number;
  /** Retry-After (s) sent with 503/507 answers. */
  retryAfterSeconds: number;
}

/** Defaults chosen for a small deployment; override per option. */
export const DEFAULT_LIMITS: RelayLimits = {
  maxEnvelopeBytes: 256 * 1024,
  maxQueueDepth: 10_000,
  messageTtlMs: 7 * 24 * 3600 * 1000,
  maxBatch: 100,
  maxDevicesPerSend: 32,
  maxRecipientsPerSend: 1000,
  maxQueueBytes: 64 * 1024 * 1024,
  maxPollBytes: 4 * 1024 * 1024,
  wsWindowBytes: 2 * 1024 * 1024,
  wsMaxBufferedBytes: 64 * 1024,
  wsLargeFrameBudgetBytes: 64 * 1024 * 1024,
  wsMaxConnections: 10_000,
  wsMaxFrameBytes: 16 * 1024,
  wsMaxAckIds: 100,
  wsFramesPerSecond: 20,
  wsFrameBurst: 200,
  wsHeartbeatMs: 30_000,
  recipientSourceBurst: 2000,
  recipientSourcePerHour: 15,
  recipientSourceBytesBurst: 16 * 1024 * 1024,
  recipientSourceBytesPerHour: 16 * 1024 * 1024,
  sourceBurst: 2000,
  sourcePerSecond: 50,
  sourceBytesBurst: 64 * 1024 * 1024,
  sourceBytesPerSecond: 2 * 1024 * 1024,
  rateLimitEntries: 100_000,
  minFreeDiskBytes: 256 * 1024 * 1024,
  diskReserveBytes: 16 * 1024 * 1024,
  diskCheckMs: 1000,
  retryAfterSeconds: 5,
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
  /** Publishes a cluster notice to every instance, this one included (handled here when the notifier has none). */
  notices: {
    deviceRemoved(accountId: string, deviceId: number): void;
    accessKeyChanged(accountId: string): void;
    mailboxFilled(mailboxKey: string): void;
  };
  limits: RelayLimits;
  /** Budgets of sealed sends per source and per (recipient, source). */
  sendLimiter: SendLimiter;
  /** Free-space watermark of the database's disk (absent for in-memory or injected stores). */
  disk: { readonly low: boolean } | undefined;
  now: () => number;
  /** Browser origins allowed by CORS and on WebSocket upgrades (`RelayOptions.corsOrigins`). */
  corsOrigins: readonly string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    relay: RelayContext;
  }
}
