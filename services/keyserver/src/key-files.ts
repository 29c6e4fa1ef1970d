/**
 * The services' key files (JSON, bytes in standard base64), written by
 * `sealpost-keyserver keygen` (keygen.ts, mode 0600) and read at startup:
 *
 * - trust-root.json (OFFLINE — never deploy): `{ type: "sealpost-trust-root", publicKey (33 bytes), privateKey (32) }`
 * - trust-root.public.json (give to clients to pin): `{ type: "sealpost-trust-root-public", publicKey }`
 * - server-certificate.json (key server): `{ type: "sealpost-server-certificate", keyId, certificate (serialized ServerCertificate), privateKey (32) }`
 * - relay-credential-key.json (key server): `{ type: "sealpost-relay-credential-key", publicKey (32, Ed25519), privateKey (32) }`
 * - relay-credential.public.json (relay, blob service): `{ type: "sealpost-relay-credential-public-key", publicKey (32) }`
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { encodeBase64, parseBase64 } from '@sealpost/service-kit';

/** The offline trust root. */
export interface TrustRootFile {
  type: 'sealpost-trust-root';
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** The server certificate and its private key. */
export interface ServerCertificateFile {
  type: 'sealpost-server-certificate';
  keyId: number;
  certificate: Uint8Array;
  privateKey: Uint8Array;
}

/** The relay-credential signing key pair. */
export interface RelayKeyFile {
  type: 'sealpost-relay-credential-key';
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

type AnyKeyFile =
  | TrustRootFile
  | ServerCertificateFile
  | RelayKeyFile
  | { type: 'sealpost-trust-root-public'; publicKey: Uint8Array }
  | { type: 'sealpost-relay-credential-public-key'; publicKey: Uint8Array };

function bytesField(path: string, obj: Record<string, unknown>, name: string, length?: number): Uint8Array {
  const v = obj[name];
  if (typeof v !== 'string') throw new Error(`${path}: "${name}" must be a base64 string`);
  const b = parseBase64(v);
  if (b === undefined) throw new Error(`${path}: "${name}" is not canonical base64`);
  if (length !== undefined && b.length !== length) throw new Error(`${path}: "${name}" must be ${length} bytes`);
  return b;
}

function readJson(path: string, type: string): Record<string, unknown> {
  const obj = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (obj === null || typeof obj !== 'object' || obj.type !== type) throw new Error(`${path}: not a ${type} file`);
  return obj;
}

/** Writes a key file, owner-readable only (0600, also when it replaces an existing file). */
export function writeKeyFile(path: string, file: AnyKeyFile): void {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(file)) out[k] = v instanceof Uint8Array ? encodeBase64(v) : v;
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Reads trust-root.json. */
export function readTrustRootFile(path: string): TrustRootFile {
  const o = readJson(path, 'sealpost-trust-root');
  return { type: 'sealpost-trust-root', publicKey: bytesField(path, o, 'publicKey', 33), privateKey: bytesField(path, o, 'privateKey', 32) };
}

/** Reads the trust root's public key from trust-root.json or trust-root.public.json. */
export function readTrustRootPublicKey(path: string): Uint8Array {
  const o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (o?.type !== 'sealpost-trust-root' && o?.type !== 'sealpost-trust-root-public') throw new Error(`${path}: not a trust root file`);
  return bytesField(path, o, 'publicKey', 33);
}

/** Reads server-certificate.json. */
export function readServerCertificateFile(path: string): ServerCertificateFile {
  const o = readJson(path, 'sealpost-server-certificate');
  if (typeof o.keyId !== 'number') throw new Error(`${path}: "keyId" must be a number`);
  return {
    type: 'sealpost-server-certificate',
    keyId: o.keyId,
    certificate: bytesField(path, o, 'certificate'),
    privateKey: bytesField(path, o, 'privateKey', 32),
  };
}

/** Reads relay-credential-key.json. */
export function readRelayKeyFile(path: string): RelayKeyFile {
  const o = readJson(path, 'sealpost-relay-credential-key');
  return { type: 'sealpost-relay-credential-key', publicKey: bytesField(path, o, 'publicKey', 32), privateKey: bytesField(path, o, 'privateKey', 32) };
}
