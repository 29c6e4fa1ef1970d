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
