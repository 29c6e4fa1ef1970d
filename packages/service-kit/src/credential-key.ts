/**
 * The key server's credential-signing public key as the relay and the blob
 * service take it from their configuration: base64 of 32 bytes (Ed25519), or
 * `@path` to a file holding that or the key server's key file (JSON with
 * `publicKey`).
 */
import { readFileSync } from 'node:fs';
import { RELAY_PUBLIC_KEY_LENGTH } from '@sealpost/protocol';
import { parseBase64 } from './base64.ts';

export function parseRelayPublicKey(text: string): Uint8Array {
  let keyText = text;
  if (keyText.startsWith('@')) {
    keyText = readFileSync(keyText.slice(1), 'utf8').trim();
    if (keyText.startsWith('{')) keyText = String((JSON.parse(keyText) as { publicKey?: unknown }).publicKey ?? '');
  }
  const key = parseBase64(keyText);
  if (key === undefined || key.length !== RELAY_PUBLIC_KEY_LENGTH) {
    throw new Error(`keyserver public key must be base64 of ${RELAY_PUBLIC_KEY_LENGTH} bytes`);
  }
  return key;
}

/**
 * The key server's credential keys as a relay or blob service accepts them
 * during a rotation: the current key, and the previous one until the end of
 * the overlap window (`previousUntil`, ms since the epoch; absent: until it
 * is removed from the configuration). A token verified with the previous key
 * is treated as expiring at `min(its expiry, previousUntil)`, so caches and
 * WebSocket lifetimes never outlast the window.
 */
export interface CredentialKeys {
  current: Uint8Array;
  previous?: Uint8Array;
  previousUntil?: number;
}

/** A verifier over `keys`, built from one per key (`verifierFor(key)`). */
export function rotatingVerifier<T extends { expiresAt: number }>(
  keys: CredentialKeys,
  verifierFor: (key: Uint8Array) => (token: string, now: number) => T | undefined,
): (token: string, now: number) => T | undefined {
  const current = verifierFor(keys.current);
  const previous = keys.previous === undefined ? undefined : verifierFor(keys.previous);
  const until = keys.previousUntil ?? Number.POSITIVE_INFINITY;
  return (token, now) => {
    const found = current(token, now);
    if (found !== undefined || previous === undefined || !(now < until)) return found;
    const old = previous(token, now);
    return old === undefined ? undefined : { ...old, expiresAt: Math.min(old.expiresAt, until) };
  };
}

/** A point in time: ms since the epoch, or an ISO 8601 date-time (`2026-12-01T18:00:00Z`). */
export function parseInstant(text: string): number {
  const t = /^[0-9]{1,15}$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t) || !/[0-9]/.test(text)) throw new Error('must be ms since the epoch or an ISO 8601 date-time such as 2026-12-01T18:00:00Z');
  return t;
}
