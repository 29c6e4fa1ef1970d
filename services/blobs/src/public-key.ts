/** The key server's relay-credential public key from config text: base64 of 32 bytes, or `@path` (the key, or the key server's key JSON with `publicKey`). */
import { readFileSync } from 'node:fs';
import { parseBase64 } from '@sealpost/service-kit';

export function parseRelayPublicKey(text: string): Uint8Array {
  let keyText = text;
  if (keyText.startsWith('@')) {
    keyText = readFileSync(keyText.slice(1), 'utf8').trim();
    if (keyText.startsWith('{')) keyText = String((JSON.parse(keyText) as { publicKey?: unknown }).publicKey ?? '');
  }
  const key = parseBase64(keyText);
  if (key === undefined || key.length !== 32) throw new Error('keyserver public key must be base64 of 32 bytes');
  return key;
}
