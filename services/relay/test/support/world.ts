/**
 * An end-to-end world: a real listening key server (in process, HTTP on
 * loopback), the relay as a CHILD PROCESS (`src/main.ts`, so it can be
 * SIGKILLed and restarted on the same database), and accounts whose devices
 * are libsignal-client 0.90 peers registered through the key server's HTTP
 * API (identity, registration id, signed/Kyber/one-time prekeys).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PrivateKey } from '@signalapp/libsignal-client';
import { basicAuthHeader, buildKeyServer } from '@sealpost/keyserver';
import { createServerCertificate } from '@sealpost/protocol/sealed-sender';
import { deriveAccessKey, generateIdentityKeyPair, generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { LibsignalEndpoint } from '@sealpost/devkit/libsignal';
import type { LibsignalPeer, RawPreKeyBundle } from '@sealpost/devkit/libsignal';
import { OursEndpoint } from '@sealpost/devkit/ours';
import { RelayProcess, freePort } from '@sealpost/devkit/services';
import type { EndpointId, SessionEndpoint } from '@sealpost/devkit/libsignal';
import { RelayClient } from './relay-client.ts';
import { onPostgres, relayDatabase } from './test-storage.ts';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export { RelayProcess, freePort };

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} -> ${res.status} ${text}`);
  return (text.length > 0 ? JSON.parse(text) : undefined) as T;
}

/** Which implementation runs an account's devices (sessions and sealing). */
export type ClientKind = 'libsignal' | 'ours';

/** One device: a session endpoint plus its key-server login and relay credential. */
export interface Device {
  /** Sessions: libsignal-client or our protocol core. */
  endpoint: SessionEndpoint;
  /** The libsignal peer behind `endpoint`, for libsignal accounts. */
  libsignal: LibsignalPeer | undefined;
  /** This device's address as others see it (ACI, device id). */
  address: EndpointId;
  accountId: string;
  deviceId: number;
  registrationId: number;
  /** Basic credentials for the key server. */
  auth: string;
  relayToken: string;
  senderCertificate: Uint8Array;
}

/** An account with its devices and profile-key-derived access key. */
export interface Account {
  id: string;
  kind: ClientKind;
  devices: Device[];
  accessKey: Uint8Array;
  /** Identity key pair: raw 32-byte private key, 33-byte public key. */
  identity: { privateKey: Uint8Array; publicKey: Uint8Array };
}

/** The running system. */
export interface World {
  keyserver: FastifyInstance;
  keyserverUrl: string;
  relay: RelayProcess;
  client: RelayClient;
  trustRoot: PrivateKey;
  dir: string;
  /** The relay's PostgreSQL database in a PostgreSQL run (else it uses `relay.dbPath`). */
  databaseUrl: string | undefined;
  newAccount(deviceCount: number, kind: ClientKind): Promise<Account>;
  /**
   * A registered primary device with no session keys, only what the relay
   * needs: the key server lists it, so its relay credential is accepted.
   * Cheap enough for the hundreds of hostile devices of the load tests.
   */
  bareDevice(): Promise<{ accountId: string; relayToken: string }>;
  /** Fetches the prekey bundle of one device of `target` (as `requester`), libsignal-shaped. */
  bundle(requester: Device, target: Account, deviceId: number): Promise<RawPreKeyBundle>;
  close(): Promise<void>;
}

function uploadKeys(bundle: RawPreKeyBundle) {
  return {
    signedPreKey: { keyId: bundle.signedPreKeyId, publicKey: b64(bundle.signedPreKeyPublic), signature: b64(bundle.signedPreKeySignature) },
    pqLastResortPreKey: { keyId: bundle.kyberPreKeyId, publicKey: b64(bundle.kyberPreKeyPublic), signature: b64(bundle.kyberPreKeySignature) },
  };
}

/** Starts a key server and a relay child process (on a fresh PostgreSQL database in a PostgreSQL run). */
export async function startWorld(relayArgs: string[] = []): Promise<World> {
  const database = onPostgres() ? await relayDatabase() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-e2e-'));
  const trustRoot = PrivateKey.generate();
  const serverKey = PrivateKey.generate();
  const serverCertificate = createServerCertificate({ keyId: 1, serverPublicKey: serverKey.getPublicKey().serialize(), trustRootPrivateKey: trustRoot.serialize() });
  const relayKey = generateRelayCredentialKeyPair();
  const keyserver = await buildKeyServer({
    dbPath: join(dir, 'keyserver.sqlite'),
    senderCertificate: { certificate: serverCertificate.serialized, privateKey: serverKey.serialize() },
    relayCredentialKey: relayKey,
    settings: { registrationRateLimit: false, bundleRateLimit: false },
    docs: false,
  });
  await keyserver.listen({ host: '127.0.0.1', port: 0 });
  const keyserverUrl = `http://127.0.0.1:${(keyserver.server.address() as { port: number }).port}`;
  const relay = new RelayProcess(await freePort(), join(dir, 'relay.sqlite'), keyserverUrl, relayKey.publicKey, [
    ...(database === undefined ? [] : ['--database-url', database.url]),
    ...relayArgs,
  ]);
  await relay.start();
  const client = new RelayClient(relay.url);

  function makeEndpoint(kind: ClientKind, deviceId: number, identity: Account['identity']): { endpoint: SessionEndpoint; libsignal: LibsignalPeer | undefined; registrationId: number } {
    // The endpoint's own name is unused: others address it by the ACI the key server assigns.
    if (kind === 'libsignal') {
      const e = new LibsignalEndpoint({ name: 'unregistered', deviceId, identityPrivateKey: identity.privateKey });
      return { endpoint: e, libsignal: e.peer, registrationId: e.peer.registrationId };
    }
    const e = new OursEndpoint({ name: 'unregistered', deviceId, identity });
    return { endpoint: e, libsignal: undefined, registrationId: e.registrationId };
  }

  async function finishDevice(
    made: ReturnType<typeof makeEndpoint>,
    accountId: string,
    deviceId: number,
    secret: Uint8Array,
    first: RawPreKeyBundle,
  ): Promise<Device> {
    const auth = basicAuthHeader(accountId, deviceId, secret);
    // A few one-time prekeys so bundle fetches hand them out.
    const more = [first, await made.endpoint.bundle({ withOneTimePreKey: true }), await made.endpoint.bundle({ withOneTimePreKey: true })];
    await json(`${keyserverUrl}/v1/keys`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ preKeys: more.map((b) => ({ keyId: b.preKeyId, publicKey: b64(b.preKeyPublic!) })) }),
    });
    const relayCred = await json<{ token: string }>(`${keyserverUrl}/v1/credentials/relay?audience=${encodeURIComponent(relay.url)}`, { headers: { authorization: auth } });
    const cert = await json<{ certificate: string }>(`${keyserverUrl}/v1/certificate/sender`, { headers: { authorization: auth } });
    return {
      endpoint: made.endpoint,
      libsignal: made.libsignal,
      address: { name: accountId, deviceId },
      accountId,
      deviceId,
      registrationId: made.registrationId,
      auth,
      relayToken: relayCred.token,
      senderCertificate: new Uint8Array(Buffer.from(cert.certificate, 'base64')),
    };
  }

  async function newAccount(deviceCount: number, kind: ClientKind): Promise<Account> {
    let identity: Account['identity'];
    if (kind === 'libsignal') {
      const p = PrivateKey.generate();
      identity = { privateKey: p.serialize(), publicKey: p.getPublicKey().serialize() };
    } else {
      identity = generateIdentityKeyPair();
    }
    const primary = makeEndpoint(kind, 1, identity);
    const keys = await primary.endpoint.bundle({ withOneTimePreKey: true });
    const secret = new Uint8Array(randomBytes(32));
    const created = await json<{ accountId: string }>(`${keyserverUrl}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identityKey: b64(identity.publicKey), registrationId: primary.registrationId, deviceSecret: b64(secret), ...uploadKeys(keys) }),
    });
    const accountId = created.accountId;
    const devices = [await finishDevice(primary, accountId, 1, secret, keys)];
    for (let d = 2; d <= deviceCount; d++) {
      const code = await json<{ code: string }>(`${keyserverUrl}/v1/devices/provisioning-codes`, { method: 'POST', headers: { authorization: devices[0]!.auth } });
      const made = makeEndpoint(kind, d, identity);
      const k = await made.endpoint.bundle({ withOneTimePreKey: true });
      const s = new Uint8Array(randomBytes(32));
      const linked = await json<{ deviceId: number }>(`${keyserverUrl}/v1/devices/link`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provisioningCode: code.code, registrationId: made.registrationId, deviceSecret: b64(s), ...uploadKeys(k) }),
      });
      if (linked.deviceId !== d) throw new Error(`expected device ${d}, got ${linked.deviceId}`);
      devices.push(await finishDevice(made, accountId, d, s, k));
    }
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    const r = await client.setAccessKey(accountId, devices[0]!.relayToken, accessKey);
    if (r.status !== 204) throw new Error(`access key registration failed: ${r.status}`);
    return { id: accountId, kind, devices, accessKey, identity };
  }

  async function bareDevice(): Promise<{ accountId: string; relayToken: string }> {
    const secret = new Uint8Array(randomBytes(32));
    const { accountId } = await json<{ accountId: string }>(`${keyserverUrl}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identityKey: b64(generateIdentityKeyPair().publicKey), registrationId: 1 + (randomBytes(2).readUInt16BE() % 16383), deviceSecret: b64(secret) }),
    });
    const auth = basicAuthHeader(accountId, 1, secret);
    const { token } = await json<{ token: string }>(`${keyserverUrl}/v1/credentials/relay?audience=${encodeURIComponent(relay.url)}`, { headers: { authorization: auth } });
    return { accountId, relayToken: token };
  }

  async function bundle(requester: Device, target: Account, deviceId: number): Promise<RawPreKeyBundle> {
    const b = await json<{
      identityKey: string;
      devices: Array<{
        deviceId: number;
        registrationId: number;
        signedPreKey: { keyId: number; publicKey: string; signature: string };
        preKey?: { keyId: number; publicKey: string };
        pqPreKey: { keyId: number; publicKey: string; signature: string };
      }>;
    }>(`${keyserverUrl}/v1/keys/${target.id}/${deviceId}`, { headers: { authorization: requester.auth } });
    const d = b.devices[0]!;
    const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
    return {
      registrationId: d.registrationId,
      deviceId: d.deviceId,
      preKeyId: d.preKey?.keyId ?? null,
      preKeyPublic: d.preKey === undefined ? null : bytes(d.preKey.publicKey),
      signedPreKeyId: d.signedPreKey.keyId,
      signedPreKeyPublic: bytes(d.signedPreKey.publicKey),
      signedPreKeySignature: bytes(d.signedPreKey.signature),
      identityKey: bytes(b.identityKey),
      kyberPreKeyId: d.pqPreKey.keyId,
      kyberPreKeyPublic: bytes(d.pqPreKey.publicKey),
      kyberPreKeySignature: bytes(d.pqPreKey.signature),
    };
  }

  return {
    keyserver,
    keyserverUrl,
    relay,
    client,
    trustRoot,
    dir,
    databaseUrl: database?.url,
    newAccount,
    bareDevice,
    bundle,
    close: async () => {
      await relay.stop('SIGTERM');
      await keyserver.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

