/**
 * A key server through a key rotation, for the relay's and the blob
 * service's rotation tests: `sealpost-keyserver keygen` makes generation 1
 * (trust root, server certificate key id 1, credential key 1) and, from the
 * same trust root, generation 2 (server certificate key id 2, credential
 * key 2). The key server runs on a file database on 127.0.0.1 with
 * generation 1; `rotate()` restarts it on the same database with
 * generation 2, as an operator would.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuthHeader, buildKeyServer, generateKeyFiles, readRelayKeyFile, readServerCertificateFile } from '@sealpost/keyserver';
import { generateCurveKeyPair } from '@sealpost/protocol';
import { fromBase64, randomBytes, toBase64 } from '@sealpost/protocol/primitives';

/** One generation's public keys. */
export interface KeyGeneration {
  dir: string;
  /** The credential (relay and upload) public key, raw 32 bytes. */
  credentialPublicKey: Uint8Array;
  /** The server certificate's key id. */
  keyId: number;
}

export interface RotatingKeyServer {
  /** The trust root clients pin (33 bytes), the same before and after. */
  trustRoot: Uint8Array;
  gen1: KeyGeneration;
  gen2: KeyGeneration;
  url(): string;
  /** Creates an account; its primary device's Basic auth. */
  account(): Promise<string>;
  /** GET or POST on the running key server with Basic auth; the JSON body (throws unless 2xx). */
  call<T>(method: 'GET' | 'POST', path: string, auth: string, body?: unknown): Promise<T>;
  /** Restarts the key server on the same database with generation 2. */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

function generation(dir: string, keyId: number): KeyGeneration {
  const pub = JSON.parse(readFileSync(join(dir, 'relay-credential.public.json'), 'utf8')) as { publicKey: string };
  return { dir, credentialPublicKey: fromBase64(pub.publicKey), keyId };
}

/** Starts generation 1. */
export async function startRotatingKeyServer(): Promise<RotatingKeyServer> {
  const root = mkdtempSync(join(tmpdir(), 'sealpost-rotation-'));
  const dir1 = join(root, 'gen1');
  const dir2 = join(root, 'gen2');
  generateKeyFiles({ out: dir1, keyId: 1 });
  generateKeyFiles({ out: dir2, keyId: 2, trustRoot: join(dir1, 'trust-root.json') });
  const trustRoot = fromBase64((JSON.parse(readFileSync(join(dir1, 'trust-root.public.json'), 'utf8')) as { publicKey: string }).publicKey);
  const dbPath = join(root, 'keyserver.db');
  let app: Awaited<ReturnType<typeof buildKeyServer>>;
  let url = '';
  const start = async (dir: string): Promise<void> => {
    const cert = readServerCertificateFile(join(dir, 'server-certificate.json'));
    const key = readRelayKeyFile(join(dir, 'relay-credential-key.json'));
    app = await buildKeyServer({
      dbPath,
      docs: false,
      senderCertificate: { certificate: cert.certificate, privateKey: cert.privateKey },
      relayCredentialKey: { privateKey: key.privateKey, publicKey: key.publicKey },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  };
  await start(dir1);
  const call = async <T>(method: 'GET' | 'POST', path: string, auth: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    trustRoot,
    gen1: generation(dir1, 1),
    gen2: generation(dir2, 2),
    url: () => url,
    async account() {
      const secret = randomBytes(32);
      const res = await fetch(`${url}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identityKey: toBase64(generateCurveKeyPair().publicKey), registrationId: 4321, deviceSecret: toBase64(secret) }),
      });
      if (res.status !== 201) throw new Error(`account creation: ${res.status} ${await res.text()}`);
      const { accountId, deviceId } = (await res.json()) as { accountId: string; deviceId: number };
      return basicAuthHeader(accountId, deviceId, secret);
    },
    call,
    async rotate() {
      await app.close();
      await start(dir2);
    },
    async close() {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
