/**
 * Relay PROCESSES behind one public origin (so one relay credential is good
 * on every instance) and a real key server in this process — several relay
 * instances on one PostgreSQL database (`--database-url`: the PostgreSQL
 * envelope store and LISTEN/NOTIFY notices), or one instance on a SQLite
 * file. Accounts are registered through the key server's HTTP API with only
 * what the relay needs (no session keys). Used by the relay's scale-out
 * tests and the scale-out benchmark.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuthHeader, buildKeyServer } from '@sealpost/keyserver';
import { deriveAccessKey, generateIdentityKeyPair, generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { toBase64 } from '@sealpost/protocol/primitives';
import { RelayProcess, freePort } from './relay-process.ts';

type KeyServer = Awaited<ReturnType<typeof buildKeyServer>>;

/** The origin every instance answers to (the relay-credential audience). */
export const CLUSTER_ORIGIN = 'http://relay.cluster.test';

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

/** Options of `startRelayCluster`. */
export interface RelayClusterOptions {
  /** Extra flags per instance (one list per instance). */
  instances: string[][];
  /** The PostgreSQL database the instances share; absent: a SQLite file (one instance only). */
  databaseUrl?: string;
}

/** The running relays and key server. */
export interface RelayCluster {
  keyserver: KeyServer;
  keyserverUrl: string;
  relays: RelayProcess[];
  /** An account with `devices` devices, its access key registered through instance 0. */
  newAccount(devices: number): Promise<ClusterAccount>;
  /** A key-server request (with a device's basic credentials). */
  keyserverCall(method: string, path: string, auth?: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts the key server and the relay processes (one after the other: the first migrates the schema). */
export async function startRelayCluster(options: RelayClusterOptions): Promise<RelayCluster> {
  if (options.databaseUrl === undefined && options.instances.length !== 1) throw new Error('several relay instances need a shared PostgreSQL database');
  const dir = mkdtempSync(join(tmpdir(), 'relay-cluster-'));
  const relayKey = generateRelayCredentialKeyPair();
  const keyserver = await buildKeyServer({
    dbPath: ':memory:',
    relayCredentialKey: relayKey,
    settings: { registrationRateLimit: false, bundleRateLimit: false, bundleTargetBudget: false, keyUploadRateLimit: false, deviceListRateLimit: false },
    docs: false,
    logger: false,
  });
  await keyserver.listen({ host: '127.0.0.1', port: 0 });
  const keyserverUrl = `http://127.0.0.1:${(keyserver.server.address() as { port: number }).port}`;
  const relays: RelayProcess[] = [];
  for (const [i, extra] of options.instances.entries()) {
    const storage = options.databaseUrl === undefined ? [] : ['--database-url', options.databaseUrl];
    const args = [...storage, '--public-origin', CLUSTER_ORIGIN, '--log-level', 'warn', ...extra];
    relays.push(new RelayProcess(await freePort(), join(dir, `relay-${i}.sqlite`), keyserverUrl, relayKey.publicKey, args));
  }
  for (const r of relays) await r.start();

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

  const registrationId = (): number => 1 + (randomBytes(2).readUInt16BE() % 16000);

  async function newAccount(deviceCount: number): Promise<ClusterAccount> {
    const secret = new Uint8Array(randomBytes(32));
    const primaryRegistration = registrationId();
    const created = await keyserverCall('POST', '/v1/accounts', undefined, {
      identityKey: toBase64(generateIdentityKeyPair().publicKey),
      registrationId: primaryRegistration,
      deviceSecret: toBase64(secret),
    });
    if (created.status !== 201) throw new Error(`account: ${created.status}`);
    const accountId = created.body.accountId as string;
    const devices = [await finish(accountId, 1, primaryRegistration, secret)];
    for (let d = 2; d <= deviceCount; d++) {
      const code = await keyserverCall('POST', '/v1/devices/provisioning-codes', devices[0]!.auth);
      const s = new Uint8Array(randomBytes(32));
      const reg = registrationId();
      const linked = await keyserverCall('POST', '/v1/devices/link', undefined, { provisioningCode: code.body.code, registrationId: reg, deviceSecret: toBase64(s) });
      if (linked.status !== 201) throw new Error(`link: ${linked.status}`);
      devices.push(await finish(accountId, linked.body.deviceId as number, reg, s));
    }
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    const res = await fetch(`${relays[0]!.url}/v1/accounts/${accountId}/access-key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${devices[0]!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accessKey: toBase64(accessKey) }),
    });
    if (res.status !== 204) throw new Error(`access key: ${res.status}`);
    return { id: accountId, devices, accessKey };
  }

  return {
    keyserver,
    keyserverUrl,
    relays,
    newAccount,
    keyserverCall,
    close: async () => {
      await Promise.all(relays.map((r) => r.stop('SIGTERM')));
      await keyserver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A sealed-looking envelope (version byte 0x11) of `size` bytes carrying `n` in bytes 1..4. */
export function numberedEnvelope(n: number, size = 64): Uint8Array {
  const out = new Uint8Array(size).fill(0x5a);
  out[0] = 0x11;
  new DataView(out.buffer).setUint32(1, n);
  return out;
}

/** The number `numberedEnvelope` put in an envelope. */
export function envelopeNumber(content: Uint8Array): number {
  return new DataView(content.buffer, content.byteOffset, content.byteLength).getUint32(1);
}
