/**
 * Issuing relay credentials (format and verification: relay-credential.ts).
 * The signing key is an Ed25519 key pair of its own, separate from the
 * sender-certificate key, so that each key does exactly one job.
 */
import type { KeyObject } from 'node:crypto';
import { ed25519PublicKey, randomBytes } from '@sealpost/protocol/primitives/index.ts';
import { relayPrivateKeyObject, signRelayCredential, type RelayCredential } from './relay-credential.ts';

/** A raw Ed25519 key pair: 32-byte seed and 32-byte public key. */
export interface RelayCredentialKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Makes a fresh relay-credential signing key pair from 32 random bytes.
 * (Not generateKeyPairSync + export: on Node 20.20 exporting a generated key
 * was seen to deadlock the process — see packages/protocol/src/primitives/x25519.ts.)
 */
export function generateRelayCredentialKeyPair(): RelayCredentialKeyPair {
  const privateKey = randomBytes(32);
  return { privateKey, publicKey: ed25519PublicKey(privateKey) };
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
