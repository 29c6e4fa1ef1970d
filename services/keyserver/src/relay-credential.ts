/**
 * Relay credentials: short-lived tokens the key server signs so the relay can
 * authenticate a recipient device with nothing but the key server's public
 * key. This module is the shared half (format + verification) that the relay
 * imports; issuing lives in `relay-credentials.ts`.
 *
 * Format (all ASCII):
 *
 *     token   = "v1." base64url(payload) "." base64url(signature)
 *     payload = accountId ":" deviceId ":" expiresAt
 *
 * - accountId: lower-case UUID; deviceId: decimal 1..127; expiresAt: decimal
 *   milliseconds since the Unix epoch; no leading zeros, no spaces.
 * - signature: Ed25519 (RFC 8032, node:crypto) over
 *   `"sealpost-relay-credential-v1\n" ‖ payload` — the prefix keeps these
 *   signatures from being valid for anything else the key may ever sign.
 * - base64url without padding.
 *
 * A token is valid while `now < expiresAt`.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** Token version prefix. */
export const RELAY_CREDENTIAL_VERSION = 'v1';
/** The domain-separation prefix of signed payloads. */
export const RELAY_CREDENTIAL_CONTEXT = 'sealpost-relay-credential-v1\n';
/** Raw Ed25519 public key length. */
export const RELAY_PUBLIC_KEY_LENGTH = 32;

/** What a valid token says. */
export interface RelayCredential {
  accountId: string;
  deviceId: number;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

const PAYLOAD_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([1-9][0-9]{0,2}):([1-9][0-9]{0,15})$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const publicKeyCache = new WeakMap<Uint8Array, KeyObject>();

/** Wraps a raw 32-byte Ed25519 public key for node:crypto (cached per array). */
export function relayPublicKeyObject(publicKey: Uint8Array | KeyObject): KeyObject {
  if (!(publicKey instanceof Uint8Array)) return publicKey;
  let key = publicKeyCache.get(publicKey);
  if (key === undefined) {
    if (publicKey.length !== RELAY_PUBLIC_KEY_LENGTH) throw new TypeError('relay credential public key must be 32 bytes');
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
    publicKeyCache.set(publicKey, key);
  }
  return key;
}

/** Wraps a raw 32-byte Ed25519 private key (seed) for node:crypto. */
export function relayPrivateKeyObject(privateKey: Uint8Array): KeyObject {
  if (privateKey.length !== 32) throw new TypeError('relay credential private key must be 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
}

/** The exact bytes a token's signature covers. */
export function relayCredentialSignedBytes(payload: string): Buffer {
  return Buffer.from(RELAY_CREDENTIAL_CONTEXT + payload, 'utf8');
}

/** Formats the payload of a credential (canonical: one string per credential). */
export function formatRelayCredentialPayload(c: RelayCredential): string {
  return `${c.accountId}:${c.deviceId}:${c.expiresAt}`;
}

/** Signs a credential with the key server's Ed25519 private key (32-byte seed or KeyObject). */
export function signRelayCredential(c: RelayCredential, privateKey: Uint8Array | KeyObject): string {
  const payload = formatRelayCredentialPayload(c);
  if (parsePayload(payload) === undefined) throw new TypeError('relay credential fields out of range');
  const key = privateKey instanceof Uint8Array ? relayPrivateKeyObject(privateKey) : privateKey;
  const signature = sign(null, relayCredentialSignedBytes(payload), key);
  return `${RELAY_CREDENTIAL_VERSION}.${Buffer.from(payload, 'utf8').toString('base64url')}.${signature.toString('base64url')}`;
}

function parsePayload(payload: string): RelayCredential | undefined {
  const m = PAYLOAD_RE.exec(payload);
  if (m === null) return undefined;
  const deviceId = Number(m[2]);
  const expiresAt = Number(m[3]);
  if (deviceId > 127 || !Number.isSafeInteger(expiresAt)) return undefined;
  return { accountId: m[1]!, deviceId, expiresAt };
}

/**
 * Verifies a relay credential at time `now` (ms) with the key server's public
 * key (raw 32 bytes or a KeyObject). Returns what it says, or undefined when
 * the token is malformed, forged or expired. Never throws on bad tokens.
 */
export function verifyRelayCredential(token: string, publicKey: Uint8Array | KeyObject, now: number): RelayCredential | undefined {
  if (typeof token !== 'string' || token.length > 512) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== RELAY_CREDENTIAL_VERSION) return undefined;
  const [, payloadB64, signatureB64] = parts as [string, string, string];
  if (!B64URL_RE.test(payloadB64) || !B64URL_RE.test(signatureB64)) return undefined;
  const payloadBytes = Buffer.from(payloadB64, 'base64url');
  const signature = Buffer.from(signatureB64, 'base64url');
  // Reject non-canonical encodings so one credential has exactly one token.
  if (payloadBytes.toString('base64url') !== payloadB64 || signature.toString('base64url') !== signatureB64) return undefined;
  if (signature.length !== 64) return undefined;
  const payload = payloadBytes.toString('utf8');
  const credential = parsePayload(payload);
  if (credential === undefined) return undefined;
  if (!verify(null, relayCredentialSignedBytes(payload), relayPublicKeyObject(publicKey), signature)) return undefined;
  if (!(now < credential.expiresAt)) return undefined;
  return credential;
}

/**
 * A verifier in the shape the relay's `buildRelay({ verifyCredential })`
 * takes: `(token, now) => { accountId, deviceId } | undefined`.
 */
export function relayCredentialVerifier(publicKey: Uint8Array | KeyObject): (token: string, now: number) => RelayCredential | undefined {
  const key = relayPublicKeyObject(publicKey);
  return (token, now) => verifyRelayCredential(token, key, now);
}
