/** Test helpers: a signing key, capabilities, a blob server on loopback, and raw tus requests. */
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRelayCredentialKeyPair, signUploadCapability } from '@sealpost/protocol';
import { randomBytes, toBase64Url } from '@sealpost/protocol/primitives';
import { buildBlobServer, type BlobSettings } from '../src/index.ts';

export const signingKey = generateRelayCredentialKeyPair();

export function newKey(): string {
  return toBase64Url(randomBytes(15));
}

export function capability(opts: { key?: string; max?: number; expiresAt?: number; subject?: string; privateKey?: Uint8Array } = {}): { key: string; token: string } {
  const key = opts.key ?? newKey();
  const token = signUploadCapability(
    { blobKey: key, maxLength: opts.max ?? 10 * 2 ** 20, expiresAt: opts.expiresAt ?? Date.now() + 3600_000, subject: opts.subject ?? 'AAAAAAAAAAAAAAAAAAAAAA' },
    opts.privateKey ?? signingKey.privateKey,
  );
  return { key, token };
}

export async function startBlobServer(settings: Partial<BlobSettings> = {}, extra: { directory?: string; now?: () => number; databaseUrl?: string } = {}) {
  const directory = extra.directory ?? mkdtempSync(join(tmpdir(), 'sealpost-blobs-'));
  const app = await buildBlobServer({ directory, keyserverPublicKey: signingKey.publicKey, settings: { sweepIntervalMs: 0, minFreeDiskBytes: 0, ...settings }, now: extra.now, databaseUrl: extra.databaseUrl });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return { app, directory, url: `http://127.0.0.1:${port}` };
}

export interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request with node:http (so tests control exactly what is sent). */
export function raw(url: string, method: string, headers: Record<string, string>, body?: Uint8Array): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body && { 'content-length': String(body.length) }) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const tus = (token: string): Record<string, string> => ({ 'tus-resumable': '1.0.0', authorization: `Bearer ${token}` });

export function create(url: string, token: string, length: number, body?: Uint8Array, extra: Record<string, string> = {}): Promise<Raw> {
  return raw(`${url}/v1/blobs`, 'POST', { ...tus(token), 'upload-length': String(length), ...(body && { 'content-type': 'application/offset+octet-stream' }), ...extra }, body);
}

export function patch(url: string, key: string, token: string, offset: number, body: Uint8Array): Promise<Raw> {
  return raw(`${url}/v1/blobs/${key}`, 'PATCH', { ...tus(token), 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body);
}

export async function offsetOf(url: string, key: string, token: string): Promise<number> {
  let r = await raw(`${url}/v1/blobs/${key}`, 'HEAD', tus(token));
  // 423 while the server has not yet noticed a broken upload connection.
  for (let i = 0; i < 20 && r.status === 423; i++) r = await raw(`${url}/v1/blobs/${key}`, 'HEAD', tus(token));
  if (r.status !== 200) throw new Error(`HEAD ${r.status}`);
  return Number(r.headers['upload-offset']);
}

/** Starts a creation-with-upload, sends `sent` bytes, then destroys the socket. */
export function createAndKill(url: string, token: string, data: Uint8Array, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/blobs`, {
      method: 'POST',
      headers: { ...tus(token), 'upload-length': String(data.length), 'content-type': 'application/offset+octet-stream', 'content-length': String(data.length) },
    });
    req.on('error', () => resolve());
    req.write(data.subarray(0, sent), () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 150);
    });
  });
}

export function errorCode(r: Raw): string | undefined {
  try {
    return (JSON.parse(r.body.toString('utf8')) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
