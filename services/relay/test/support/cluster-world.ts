/**
 * Several relay PROCESSES on one PostgreSQL database (the PostgreSQL
 * envelope store and LISTEN/NOTIFY notices, `--database-url`), sharing one
 * public origin (so one relay credential is good on every instance), and a
 * real key server in this process. Accounts are registered through the key
 * server's HTTP API with only what the relay needs (no session keys).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { basicAuthHeader, buildKeyServer } from '@sealpost/keyserver';
import { deriveAccessKey, generateIdentityKeyPair, generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { createTestDatabase, type TestDatabase } from '@sealpost/devkit/postgres';
import { RelayProcess, freePort } from '@sealpost/devkit/services';
import { RelayClient } from './relay-client.ts';

/** The origin every instance answers to (the relay-credential audience). */
export const CLUSTER_ORIGIN = 'http://relay.cluster.test';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** One device as the key server registered it. */
export interface ClusterDevice {
  accountId: string;
  deviceId: number;
  registrationId: number;
  /** Basic credentials for the key server. */
  auth: string;
  /** Relay credential for `CLUSTER_ORIGIN`. */
  token: string;
}

/** An account with its devices and access key (registered at the relay). */
export interface ClusterAccount {
  id: string;
  devices: ClusterDevice[];
  accessKey: Uint8Array;
}

/** The running cluster. */
export interface Cluster {
  db: TestDatabase;
  keyserver: FastifyInstance;
  keyserverUrl: string;
  relays: RelayProcess[];
  clients: RelayClient[];
  /** An account with `devices` devices, its access key registered through instance 0. */
  newAccount(devices: number): Promise<ClusterAccount>;
  /** Key-server request with a device's basic credentials. */
  keyserverCall(method: string, path: string, auth?: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts a key server and `relayArgs.length` relay processes (one per argument list) on a fresh database. */
export async function startCluster(relayArgs: string[][]): Promise<Cluster> {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'relay-cluster-'));
  const relayKey = generateRelayCredentialKeyPair();
  const keyserver = await buildKeyServer({
    dbPath: ':memory:',
    relayCredentialKey: relayKey,
    settings: { registrationRateLimit: false, bundleRateLimit: false },
    docs: false,
  });
  await keyserver.listen({ host: '127.0.0.1', port: 0 });
  const keyserverUrl = `http://127.0.0.1:${(keyserver.server.address() as { port: number }).port}`;
  const relays: RelayProcess[] = [];
  for (const [i, extra] of relayArgs.entries()) {
    const args = ['--database-url', db.url, '--public-origin', CLUSTER_ORIGIN, '--log-level', 'warn', ...extra];
    relays.push(new RelayProcess(await freePort(), join(dir, `unused-${i}.sqlite`), keyserverUrl, relayKey.publicKey, args));
  }
  // One at a time: the first applies the migrations (they are advisory-locked anyway).
  for (const r of relays) await r.start();
  const clients = relays.map((r) => new RelayClient(r.url));

  async function keyserverCall(method: string, path: string, auth?: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(keyserverUrl + path, {
      method,
      headers: { ...(auth === undefined ? {} : { authorization: auth }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
  }

  async function finish(accountId: string, deviceId: number, registrationId: number, secret: Uint8Array): Promise<ClusterDevice> {
    const auth = basicAuthHeader(accountId, deviceId, secret);
    const cred = await keyserverCall('GET', `/v1/credentials/relay?audience=${encodeURIComponent(CLUSTER_ORIGIN)}`, auth);
    if (cred.status !== 200) throw new Error(`relay credential: ${cred.status}`);
    return { accountId, deviceId, registrationId, auth, token: cred.body.token as string };
  }

  async function newAccount(deviceCount: number): Promise<ClusterAccount> {
    const secret = new Uint8Array(randomBytes(32));
    const registrationId = 1 + (randomBytes(2).readUInt16BE() % 16000);
    const created = await keyserverCall('POST', '/v1/accounts', undefined, { identityKey: b64(generateIdentityKeyPair().publicKey), registrationId, deviceSecret: b64(secret) });
    if (created.status !== 201) throw new Error(`account: ${created.status}`);
    const accountId = created.body.accountId as string;
    const devices = [await finish(accountId, 1, registrationId, secret)];
    for (let d = 2; d <= deviceCount; d++) {
      const code = await keyserverCall('POST', '/v1/devices/provisioning-codes', devices[0]!.auth);
      const s = new Uint8Array(randomBytes(32));
      const reg = 1 + (randomBytes(2).readUInt16BE() % 16000);
      const linked = await keyserverCall('POST', '/v1/devices/link', undefined, { provisioningCode: code.body.code, registrationId: reg, deviceSecret: b64(s) });
      if (linked.status !== 201) throw new Error(`link: ${linked.status}`);
      devices.push(await finish(accountId, linked.body.deviceId as number, reg, s));
    }
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    const r = await clients[0]!.setAccessKey(accountId, devices[0]!.token, accessKey);
    if (r.status !== 204) throw new Error(`access key: ${r.status}`);
    return { id: accountId, devices, accessKey };
  }

  return {
    db,
    keyserver,
    keyserverUrl,
    relays,
    clients,
    newAccount,
    keyserverCall,
    close: async () => {
      await Promise.all(relays.map((r) => r.stop('SIGTERM')));
      await keyserver.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A 64-byte sealed-looking envelope (version byte 0x11) carrying `n` in bytes 1..4. */
export function numbered(n: number): Uint8Array {
  const out = new Uint8Array(64).fill(0x5a);
  out[0] = 0x11;
  new DataView(out.buffer).setUint32(1, n);
  return out;
}

/** The number `numbered` put in an envelope. */
export function numberOf(content: Uint8Array): number {
  return new DataView(content.buffer, content.byteOffset, content.byteLength).getUint32(1);
}

/** Percentile of ascending `sorted` values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
