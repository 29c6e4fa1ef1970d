/**
 * A key server and a relay on real loopback sockets (127.0.0.1, random
 * ports), with a fresh trust root, server certificate and relay-credential
 * key — what the end-to-end tests, the demo and the chat script run against.
 */
import { generateCurveKeyPair } from '@sealpost/protocol';
import { createServerCertificate } from '@sealpost/protocol/sealed-sender';
import { buildKeyServer, generateRelayCredentialKeyPair, relayCredentialVerifier, type KeyServerOptions } from '@sealpost/keyserver';
import { buildRelay, type RelayOptions } from '@sealpost/relay';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBlobServer, type BlobSettings } from '@sealpost/blobs';

type FastifyInstance = Awaited<ReturnType<typeof buildRelay>>;

/** Running services and what a client needs to use them. */
export interface LocalServices {
  keyServerUrl: string;
  relayUrl: string;
  /** The trust root public key (33 bytes) clients pin. */
  trustRoot: Uint8Array;
  /**
   * The key server's certificate and its private key — what an insider who
   * runs the key server holds (tests and the demo use it to play one).
   */
  serverCertificate: Uint8Array;
  serverPrivateKey: Uint8Array;
  keyServer: FastifyInstance;
  relay: FastifyInstance;
  /** The blob service, when started with `blobs` (URL, directory, instance). */
  blobUrl?: string;
  blobDir?: string;
  blobs?: FastifyInstance;
  /** The keys this deployment runs with (persist them to restart it with the same trust root). */
  keys: ServiceKeys;
  /** Stops only the relay (for reconnect tests); `restartRelay` brings it back on the same port. */
  stopRelay(): Promise<void>;
  restartRelay(): Promise<void>;
  close(): Promise<void>;
}

/** Options of `startLocalServices`. */
export interface LocalServicesOptions {
  /** SQLite files (default in-memory). */
  keyServerDb?: string;
  /** PostgreSQL URL for the key server instead of `keyServerDb` (several key servers may share it). */
  keyServerDatabaseUrl?: string;
  relayDb?: string;
  keyServer?: Partial<KeyServerOptions>;
  relay?: Partial<RelayOptions>;
  /** Fixed ports (default: random free ports). */
  keyServerPort?: number;
  relayPort?: number;
  /** Reuse keys from an earlier run (so clients' pinned trust root stays valid); fresh when absent. */
  keys?: ServiceKeys;
  /** Also start the blob service (attachments) on `port` (default random), in `directory` or a fresh temp dir. */
  blobs?: boolean | { directory?: string; port?: number; settings?: Partial<BlobSettings>; now?: () => number };
}

/** The long-lived keys of a local deployment (see `LocalServices.keys`). */
export interface ServiceKeys {
  trustRoot: { privateKey: Uint8Array; publicKey: Uint8Array };
  serverKey: { privateKey: Uint8Array; publicKey: Uint8Array };
  relayKey: { privateKey: Uint8Array; publicKey: Uint8Array };
}

function portOf(app: FastifyInstance): number {
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('server has no TCP address');
  return addr.port;
}

/** Starts a key server and a relay on 127.0.0.1. */
export async function startLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const trustRoot = options.keys?.trustRoot ?? generateCurveKeyPair();
  const serverKey = options.keys?.serverKey ?? generateCurveKeyPair();
  const serverCertificate = createServerCertificate({ keyId: 1, serverPublicKey: serverKey.publicKey, trustRootPrivateKey: trustRoot.privateKey });
  const relayKey = options.keys?.relayKey ?? generateRelayCredentialKeyPair();
  const keyServer = await buildKeyServer({
    dbPath: options.keyServerDb ?? ':memory:',
    ...(options.keyServerDatabaseUrl === undefined ? {} : { databaseUrl: options.keyServerDatabaseUrl }),
    senderCertificate: { certificate: serverCertificate.serialized, privateKey: serverKey.privateKey },
    relayCredentialKey: relayKey,
    docs: false,
    ...options.keyServer,
    settings: { registrationRateLimit: false, bundleRateLimit: false, ...options.keyServer?.settings },
  });
  await keyServer.listen({ host: '127.0.0.1', port: options.keyServerPort ?? 0 });
  const keyServerUrl = `http://127.0.0.1:${portOf(keyServer)}`;
  const relayOptions: RelayOptions = {
    verifyCredential: relayCredentialVerifier(relayKey.publicKey),
    keyserverUrl: keyServerUrl,
    dbPath: options.relayDb ?? ':memory:',
    deviceCacheTtlMs: 0,
    log: { level: 'silent' },
    ...options.relay,
  } as RelayOptions;
  let relay = await buildRelay(relayOptions);
  await relay.listen({ host: '127.0.0.1', port: options.relayPort ?? 0 });
  const relayPort = portOf(relay);
  let blobs: FastifyInstance | undefined;
  let blobDir: string | undefined;
  let ownBlobDir = false;
  if (options.blobs !== undefined && options.blobs !== false) {
    const b = options.blobs === true ? {} : options.blobs;
    ownBlobDir = b.directory === undefined;
    blobDir = b.directory ?? mkdtempSync(join(tmpdir(), 'sealpost-blobs-'));
    blobs = (await buildBlobServer({
      directory: blobDir,
      keyserverPublicKey: relayKey.publicKey,
      settings: { sweepIntervalMs: 0, minFreeDiskBytes: 0, ...b.settings },
      now: b.now,
      docs: false,
    })) as unknown as FastifyInstance;
    await blobs.listen({ host: '127.0.0.1', port: b.port ?? 0 });
  }
  const services: LocalServices = {
    ...(blobs !== undefined && { blobs, blobDir, blobUrl: `http://127.0.0.1:${portOf(blobs)}` }),
    keyServerUrl,
    relayUrl: `http://127.0.0.1:${relayPort}`,
    trustRoot: trustRoot.publicKey,
    serverCertificate: serverCertificate.serialized,
    serverPrivateKey: serverKey.privateKey,
    keys: { trustRoot, serverKey, relayKey },
    keyServer,
    get relay() {
      return relay;
    },
    async stopRelay() {
      await relay.close();
    },
    async restartRelay() {
      relay = await buildRelay(relayOptions);
      await relay.listen({ host: '127.0.0.1', port: relayPort });
    },
    async close() {
      await relay.close().catch(() => {});
      await blobs?.close().catch(() => {});
      if (ownBlobDir && blobDir !== undefined) rmSync(blobDir, { recursive: true, force: true });
      await keyServer.close();
    },
  };
  return services;
}
