/**
 * Test helpers: real keys from the protocol primitives, a key server
 * listening on 127.0.0.1:0 (on this run's store backend, test-stores.ts),
 * a tiny JSON HTTP client.
 */
import type { FastifyInstance } from 'fastify';
import { kyber1024KeyGen, randomBytes, x25519GenerateKeyPair, xeddsaSign } from '@sealpost/protocol/primitives';
import { basicAuthHeader, type KeyServerOptions, type KeyStore } from '../src/index.ts';
import { buildTestKeyServer, type TestSql } from './test-stores.ts';

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** An identity key pair with the serialized public key. */
export interface Identity {
  privateKey: Uint8Array;
  publicKey: Uint8Array; // 33 bytes
}

export function newIdentity(): Identity {
  const kp = x25519GenerateKeyPair();
  return { privateKey: kp.privateKey, publicKey: Uint8Array.of(0x05, ...kp.publicKey) };
}

export function ecPublicKey(): Uint8Array {
  return Uint8Array.of(0x05, ...x25519GenerateKeyPair().publicKey);
}

let cachedKyber: Uint8Array | undefined;
/** A real Kyber1024 public key (0x08-prefixed); `fresh` makes a new one, else one is reused (keygen is slow-ish). */
export function kyberPublicKey(fresh = false): Uint8Array {
  if (fresh || cachedKyber === undefined) {
    const pk = Uint8Array.of(0x08, ...kyber1024KeyGen().publicKey);
    if (fresh) return pk;
    cachedKyber = pk;
  }
  return cachedKyber;
}

export interface SignedKeyJson {
  keyId: number;
  publicKey: string;
  signature: string;
}

export function signedKey(identity: Identity, keyId: number, publicKey: Uint8Array): SignedKeyJson {
  return { keyId, publicKey: b64(publicKey), signature: b64(xeddsaSign(identity.privateKey, publicKey)) };
}

/** A device's credentials as a client holds them. */
export interface DeviceLogin {
  accountId: string;
  deviceId: number;
  secret: Uint8Array;
  identity: Identity;
  auth: string;
}

/** A key server on a real socket. */
export interface RunningServer {
  app: FastifyInstance;
  store: KeyStore;
  /** SQL on the server's database (SQLite ':memory:' or its own PostgreSQL database). */
  sql: TestSql;
  url: string;
  /** Closes the server, its store and (PostgreSQL) drops its database. */
  close(): Promise<void>;
}

export async function startServer(options: KeyServerOptions = {}): Promise<RunningServer> {
  const { app, store, sql } = await buildTestKeyServer({
    docs: options.docs ?? false,
    ...options,
    // Per-device upload / certificate limits have their own tests (abuse-limits.test.ts).
    settings: { registrationRateLimit: false, keyUploadRateLimit: false, senderCertificateRateLimit: false, ...options.settings },
  });
  // A deep accept queue: the concurrency test opens 1,000 connections at once.
  await app.listen({ host: '127.0.0.1', port: 0, backlog: 2048 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return { app, store, sql: sql!, url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** One HTTP request with a JSON (or raw string) body. */
export async function call(
  server: { url: string },
  method: string,
  path: string,
  options: { auth?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== undefined) headers.authorization = options.auth;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Creates an account (with signed prekey + last-resort key unless `bare`). */
export async function createAccount(server: { url: string }, opts: { bare?: boolean; registrationId?: number } = {}): Promise<DeviceLogin> {
  const identity = newIdentity();
  const secret = randomBytes(32);
  const body: Record<string, unknown> = {
    identityKey: b64(identity.publicKey),
    registrationId: opts.registrationId ?? 1000 + Math.floor(Math.random() * 10000),
    deviceSecret: b64(secret),
  };
  if (!opts.bare) {
    body.signedPreKey = signedKey(identity, 1, ecPublicKey());
    body.pqLastResortPreKey = signedKey(identity, 2, kyberPublicKey());
  }
  const res = await call(server, 'POST', '/v1/accounts', { body });
  if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { accountId, deviceId } = res.body as { accountId: string; deviceId: number };
  return { accountId, deviceId, secret, identity, auth: basicAuthHeader(accountId, deviceId, secret) };
}

/** Links a new device to `primary`'s account. */
export async function linkDevice(server: { url: string }, primary: DeviceLogin, withKeys = true): Promise<DeviceLogin> {
  const codeRes = await call(server, 'POST', '/v1/devices/provisioning-codes', { auth: primary.auth });
  if (codeRes.status !== 201) throw new Error(`code failed: ${codeRes.status} ${JSON.stringify(codeRes.body)}`);
  const secret = randomBytes(32);
  const body: Record<string, unknown> = { provisioningCode: codeRes.body.code, registrationId: 4242, deviceSecret: b64(secret) };
  if (withKeys) {
    body.signedPreKey = signedKey(primary.identity, 11, ecPublicKey());
    body.pqLastResortPreKey = signedKey(primary.identity, 12, kyberPublicKey());
  }
  const res = await call(server, 'POST', '/v1/devices/link', { body });
  if (res.status !== 201) throw new Error(`link failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    accountId: res.body.accountId,
    deviceId: res.body.deviceId,
    secret,
    identity: primary.identity,
    auth: basicAuthHeader(res.body.accountId, res.body.deviceId, secret),
  };
}
