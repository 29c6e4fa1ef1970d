/**
 * Issuing relay credentials (format and verification: relay-credential.ts).
 * The signing key is an Ed25519 key pair of its own, separate from the
 * sender-certificate key, so that each key does exactly one job.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { relayPrivateKeyObject, signRelayCredential, type RelayCredential } from './relay-credential.ts';

/** A raw Ed25519 key pair: 32-byte seed and 32-byte public key. */
export interface RelayCredentialKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Makes a fresh relay-credential signing key pair. */
export function generateRelayCredentialKeyPair(): RelayCredentialKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = privateKey.export({ format: 'jwk' }).d!;
  const x = publicKey.export({ format: 'jwk' }).x!;
  return { privateKey: new Uint8Array(Buffer.from(d, 'base64url')), publicKey: new Uint8Array(Buffer.from(x, 'base64url')) };
}

/** Signs relay credentials for authenticated devices. */
export class RelayCredentialIssuer {
  private readonly key: KeyObject;

  constructor(privateKey: Uint8Array) {
    this.key = relayPrivateKeyObject(privateKey);
  }

  /** A token for `accountId`/`deviceId`, valid for `ttlMs` from `now`. */
  issue(accountId: string, deviceId: number, now: number, ttlMs: number): { token: string; credential: RelayCredential } {
    const credential = { accountId, deviceId, expiresAt: now + ttlMs };
    return { token: signRelayCredential(credential, this.key), credential };
  }
}
