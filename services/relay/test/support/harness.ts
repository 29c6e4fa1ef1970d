/**
 * Test harness: a listening relay (real HTTP on loopback) with relay
 * credentials signed by a real Ed25519 key through the protocol's relay
 * credential module (the one the key server issues with), and an in-memory device directory that tests can edit
 * (the `DeviceDirectory` seam; the end-to-end test uses the real key server).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generateRelayCredentialKeyPair, relayCredentialVerifier, signRelayCredential } from '@sealpost/protocol';
import { buildRelay, type RelayOptions } from '../../src/index.ts';
import type { DeviceEntry } from '../../src/device-check.ts';
import type { DeviceDirectory } from '../../src/device-directory.ts';
import { RelayClient } from './relay-client.ts';
import { onPostgres, relayDatabase } from './test-storage.ts';
import type { TestDatabase } from '@sealpost/devkit/postgres';

/** An editable device directory that counts how often the relay asks. */
export class MemoryDirectory implements DeviceDirectory {
  readonly accounts = new Map<string, DeviceEntry[]>();
  fetches = 0;
  /** While true, every lookup fails as an unreachable key server would. */
  failing = false;

  async devices(accountId: string): Promise<DeviceEntry[] | undefined> {
    this.fetches++;
    if (this.failing) throw new Error('key server unreachable');
    const d = this.accounts.get(accountId);
    return d === undefined ? undefined : d.map((x) => ({ ...x }));
  }
}

/** A running relay plus what a test needs to drive it. */
export interface RelayHarness {
  app: FastifyInstance;
  client: RelayClient;
  directory: MemoryDirectory;
  dbPath: string;
  /** The relay's PostgreSQL database, when the run puts relays on PostgreSQL (`SEALPOST_TEST_SERVICE_STORE=postgres`). */
  databaseUrl: string | undefined;
  /** The credential verifier this relay runs with (to start a second instance that accepts the same tokens). */
  verifyCredential: RelayOptions['verifyCredential'];
  /** The audience this relay accepts (shared by instances started with the same `audience`). */
  audience: string;
  /**
   * A credential for a device, with the registration id the directory lists
   * for it (1 when unlisted) unless given, and this relay's audience unless given.
   */
  credential(accountId: string, deviceId: number, expiresAt?: number, fields?: { registrationId?: number; audience?: string }): string;
  close(): Promise<void>;
}

/** The audience harness relays accept unless told otherwise (instances of one deployment share it). */
export const HARNESS_AUDIENCE = 'http://relay.test';

/** PostgreSQL runs: the database of each harness's `dbPath`, so a relay started on another's `dbPath` shares its database. */
const databasesByPath = new Map<string, string>();

/**
 * Starts a relay on a random loopback port with a SQLite file in a temp dir
 * — or, in a PostgreSQL run, a fresh PostgreSQL database (dropped on close),
 * unless the test chose its store. A relay given another harness's `dbPath`
 * runs on that harness's storage, whichever it is.
 */
export async function startRelay(overrides: Partial<RelayOptions> = {}): Promise<RelayHarness> {
  const { privateKey, publicKey } = generateRelayCredentialKeyPair();
  const dir = mkdtempSync(join(tmpdir(), 'relay-test-'));
  const dbPath = join(dir, 'relay.sqlite');
  let owned: TestDatabase | undefined;
  let database = overrides.database;
  if (onPostgres() && overrides.store === undefined && database === undefined) {
    const shared = overrides.dbPath === undefined ? undefined : databasesByPath.get(overrides.dbPath);
    if (shared !== undefined) database = { url: shared };
    else if (overrides.dbPath === undefined) {
      owned = await relayDatabase();
      database = { url: owned.url };
      databasesByPath.set(dbPath, owned.url);
    }
  }
  const directory = new MemoryDirectory();
  const verifyCredential = relayCredentialVerifier(publicKey);
  const audience = overrides.audience ?? HARNESS_AUDIENCE;
  const app = await buildRelay({
    verifyCredential,
    audience,
    devices: directory,
    dbPath,
    // RELAY_TEST_LOG=error (or warn, …) shows the relay's own log lines while debugging a test.
    log: { level: (process.env.RELAY_TEST_LOG ?? 'silent') as 'silent' },
    expirySweepMs: 0,
    ...overrides,
    ...(database === undefined ? {} : { database }),
  }).catch(async (e: unknown) => {
    databasesByPath.delete(dbPath);
    await owned?.drop();
    throw e;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    app,
    client: new RelayClient(`http://127.0.0.1:${port}`),
    directory,
    dbPath,
    databaseUrl: database?.url,
    verifyCredential,
    audience,
    credential: (accountId, deviceId, expiresAt = Date.now() + 3600_000, fields = {}) => {
      const listed = directory.accounts.get(accountId)?.find((d) => d.deviceId === deviceId)?.registrationId;
      const registrationId = fields.registrationId ?? listed ?? 1;
      return signRelayCredential({ accountId, deviceId, registrationId, expiresAt, audience: fields.audience ?? audience }, privateKey);
    },
    close: async () => {
      await app.close();
      if (owned !== undefined) {
        databasesByPath.delete(dbPath);
        await owned.drop();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh account id (lower-case UUID, as the key server issues them). */
export const newAccountId = (): string => randomUUID();

/** A plausible sealed v1 envelope: version byte 0x11 and `n` marker bytes. */
export function fakeSealed(marker: number, n = 64): Uint8Array {
  const out = new Uint8Array(n);
  out.fill(marker & 0xff);
  out[0] = 0x11;
  out[1] = marker >> 8;
  return out;
}
