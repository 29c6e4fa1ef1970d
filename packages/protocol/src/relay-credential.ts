/**
 * Relay credentials: short-lived tokens the key server signs so the relay can
 * authenticate a recipient device with nothing but the key server's public
 * key. Format, issuing (signing) and verification live here, so the relay
 * and the key server share one definition and the relay needs nothing of the
 * key server's.
 *
 * Format (all ASCII):
 *
 *     token   = "v2." base64url(payload) "." base64url(signature)
 *     payload = accountId ":" deviceId ":" registrationId ":" expiresAt ":" audience
 *
 * - accountId: lower-case UUID; deviceId: decimal 1..127; registrationId:
 *   decimal 1..16383 (the device's libsignal registration id, which binds
 *   the token to this incarnation of the device); expiresAt: decimal
 *   milliseconds since the Unix epoch; no leading zeros, no spaces.
 * - audience: the relay the token is for (its public origin, e.g.
 *   `https://relay.example`), 1..255 printable ASCII characters without
 *   spaces; a relay refuses tokens for any other audience, so a token a
 *   client shows one relay cannot be replayed at another that trusts the
 *   same key server.
 * - signature: Ed25519 (RFC 8032) over
 *   `"sealpost-relay-credential-v2\n" ‖ payload` — the prefix keeps these
 *   signatures from being valid for anything else the key may ever sign
 *   (v1 tokens, which named no registration id or audience, are refused).
 * - base64url without padding, canonical (one token per credential).
 *
 * A token is valid while `now < expiresAt`.
 *
 * What this module does not do: it keeps no key store, no revocation list
 * and no clock; callers pass `now`. Verification needs only the public key
 * (offline); whether the device still exists is the relay's separate,
 * online check (services/relay/src/device-authorizer.ts).
 */
import { InvalidArgumentError, InvalidKeyError } from './errors.ts';
import {
  checkBytes,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  fromBase64Url,
  randomBytes,
  toBase64Url,
  utf8Decode,
  utf8Encode,
} from './primitives/index.ts';

/** Token version prefix. */
export const RELAY_CREDENTIAL_VERSION = 'v2';
/** The domain-separation prefix of signed payloads. */
export const RELAY_CREDENTIAL_CONTEXT = 'sealpost-relay-credential-v2\n';
/** Longest audience a token may name. */
export const RELAY_AUDIENCE_MAX_LENGTH = 255;
/** Raw Ed25519 public key length. */
export const RELAY_PUBLIC_KEY_LENGTH = 32;

/** What a valid token says. */
export interface RelayCredential {
  accountId: string;
  deviceId: number;
  /** The device's registration id when the token was issued (1..16383). */
  registrationId: number;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  /** The relay this token is for (its public origin). */
  audience: string;
}

/** A raw Ed25519 key pair: 32-byte seed and 32-byte public key. */
export interface RelayCredentialKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Verifies a token at time `now` (ms): what `relayCredentialVerifier` returns. */
export type RelayCredentialVerifier = (token: string, now: number) => RelayCredential | undefined;

const PAYLOAD_RE =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([1-9][0-9]{0,2}):([1-9][0-9]{0,4}):([1-9][0-9]{0,15}):([\x21-\x7e]{1,255})$/;
const AUDIENCE_RE = /^[\x21-\x7e]{1,255}$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 1024;
const MAX_REGISTRATION_ID = 0x3fff;
const SIGNATURE_LENGTH = 64;

/**
 * A relay-credential signing key pair from a 32-byte seed (fresh random
 * bytes when absent).
 */
export function generateRelayCredentialKeyPair(seed: Uint8Array = randomBytes(32)): RelayCredentialKeyPair {
  const privateKey = checkBytes('relay credential private key', seed, 32).slice();
  return { privateKey, publicKey: ed25519PublicKey(privateKey) };
}

/** The exact bytes a token's signature covers. */
export function relayCredentialSignedBytes(payload: string): Uint8Array {
  return utf8Encode(RELAY_CREDENTIAL_CONTEXT + payload);
}

/** Formats the payload of a credential (canonical: one string per credential). */
export function formatRelayCredentialPayload(c: RelayCredential): string {
  return `${c.accountId}:${c.deviceId}:${c.registrationId}:${c.expiresAt}:${c.audience}`;
}

/** True when `audience` may appear in a token (1..255 printable ASCII characters, no spaces). */
export function isValidRelayAudience(audience: unknown): audience is string {
  return typeof audience === 'string' && AUDIENCE_RE.test(audience);
}

function parsePayload(payload: string): RelayCredential | undefined {
  const m = PAYLOAD_RE.exec(payload);
  if (m === null) return undefined;
  const deviceId = Number(m[2]);
  const registrationId = Number(m[3]);
  const expiresAt = Number(m[4]);
  if (deviceId > 127 || registrationId > MAX_REGISTRATION_ID || !Number.isSafeInteger(expiresAt)) return undefined;
  return { accountId: m[1]!, deviceId, registrationId, expiresAt, audience: m[5]! };
}

/**
 * Signs a credential with the key server's Ed25519 private key (32-byte
 * seed). Throws InvalidArgumentError when a field is out of range.
 */
export function signRelayCredential(c: RelayCredential, privateKey: Uint8Array): string {
  const payload = formatRelayCredentialPayload(c);
  const parsed = parsePayload(payload);
  // Round trip: a field that would format ambiguously (e.g. a fractional number) is refused too.
  if (parsed === undefined || formatRelayCredentialPayload(parsed) !== payload) throw new InvalidArgumentError('relay credential fields out of range');
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw new InvalidKeyError('relay credential private key must be 32 bytes');
  }
  const signature = ed25519Sign(privateKey, relayCredentialSignedBytes(payload));
  return `${RELAY_CREDENTIAL_VERSION}.${toBase64Url(utf8Encode(payload))}.${toBase64Url(signature)}`;
}

function checkPublicKey(publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== RELAY_PUBLIC_KEY_LENGTH) {
    throw new InvalidKeyError('relay credential public key must be 32 bytes');
  }
}

function decodePart(part: string): Uint8Array | undefined {
  if (!B64URL_RE.test(part)) return undefined;
  try {
    // Strict decoding rejects non-canonical encodings, so one credential has exactly one token.
    return fromBase64Url(part);
  } catch {
    return undefined;
  }
}

/**
 * Verifies a relay credential at time `now` (ms) with the key server's raw
 * 32-byte Ed25519 public key. Returns what it says, or undefined when the
 * token is malformed, forged or expired; never throws on bad tokens (only
 * on a public key of the wrong length, InvalidKeyError).
 */
export function verifyRelayCredential(token: string, publicKey: Uint8Array, now: number): RelayCredential | undefined {
  checkPublicKey(publicKey);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== RELAY_CREDENTIAL_VERSION) return undefined;
  const payloadBytes = decodePart(parts[1]!);
  const signature = decodePart(parts[2]!);
  if (payloadBytes === undefined || signature === undefined || signature.length !== SIGNATURE_LENGTH) return undefined;
  let payload: string;
  try {
    payload = utf8Decode(payloadBytes);
  } catch {
    return undefined;
  }
  const credential = parsePayload(payload);
  if (credential === undefined) return undefined;
  if (!ed25519Verify(publicKey, relayCredentialSignedBytes(payload), signature)) return undefined;
  if (!(now < credential.expiresAt)) return undefined;
  return credential;
}

/** How many verified tokens a `relayCredentialVerifier` remembers (per verifier). */
export const RELAY_CREDENTIAL_CACHE_SIZE = 4096;

/**
 * A verifier in the shape the relay's `buildRelay({ verifyCredential })`
 * takes: `(token, now) => RelayCredential | undefined` (the relay then
 * checks the audience and that the device is still registered).
 * The key is checked and copied once, here.
 *
 * A device presents the same token on every request until it expires, so
 * the verifier remembers up to `cacheSize` tokens whose signature verified
 * (oldest forgotten first) and skips only the signature check for them;
 * expiry is checked on every call. Failures are never remembered, and
 * expired tokens are dropped when seen. `cacheSize: 0` turns this off.
 */
export function relayCredentialVerifier(
  publicKey: Uint8Array,
  options: { cacheSize?: number } = {},
): RelayCredentialVerifier {
  checkPublicKey(publicKey);
  const key = publicKey.slice();
  const cacheSize = options.cacheSize ?? RELAY_CREDENTIAL_CACHE_SIZE;
  const verified = new Map<string, RelayCredential>();
  return (token, now) => {
    const known = verified.get(token);
    if (known !== undefined) {
      if (now < known.expiresAt) return { ...known };
      verified.delete(token);
      return undefined;
    }
    const credential = verifyRelayCredential(token, key, now);
    if (credential !== undefined && cacheSize > 0) {
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      verified.set(token, { ...credential });
    }
    return credential;
  };
}
