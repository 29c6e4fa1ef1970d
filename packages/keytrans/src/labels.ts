/**
 * Sealpost's KT labels and values (design §3.2), shared by the key server
 * (which logs them) and the client (which checks them):
 *
 *   account label  "a" ‖ accountId (16 raw UUID bytes)   value: 0x01 ‖ identity key (33 bytes, 0x05 ‖ u)
 *   handle label   "h" ‖ UTF-8 normalized handle         value: 0x01 ‖ accountId (16 raw UUID bytes)
 *
 * A handle is what an app shows for a user ("@bob"); normalized it is
 * lowercase ASCII `[a-z0-9_.]`, 3–32 characters, not starting or ending
 * with a dot, without the leading "@". Labels reveal the account id, so
 * they live only in the server's value table; the log and the prefix tree
 * hold VRF outputs and commitments only.
 */
import { KeyTransparencyError, ensure } from './errors.ts';

const ACCOUNT_PREFIX = 0x61; // "a"
const HANDLE_PREFIX = 0x68; // "h"
const VALUE_VERSION = 0x01;
const IDENTITY_KEY_SIZE = 33;
const UUID_SIZE = 16;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HANDLE_RE = /^[a-z0-9_](?:[a-z0-9_.]{1,30})[a-z0-9_]$/;

/** The 16 bytes of a canonical (lowercase, hyphenated) UUID string. */
export function uuidBytes(accountId: string): Uint8Array {
  ensure(typeof accountId === 'string' && UUID_RE.test(accountId), 'INVALID_ARGUMENT', 'an account id is a lowercase hyphenated UUID');
  const hex = accountId.replaceAll('-', '');
  const out = new Uint8Array(UUID_SIZE);
  for (let i = 0; i < UUID_SIZE; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The canonical UUID string of 16 bytes. */
export function uuidString(bytes: Uint8Array): string {
  ensure(bytes instanceof Uint8Array && bytes.length === UUID_SIZE, 'MALFORMED', 'an account id is 16 bytes');
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The normalized form of a handle ("@Bob" → "bob"); throws INVALID_ARGUMENT for one that is not valid. */
export function normalizeHandle(handle: string): string {
  ensure(typeof handle === 'string', 'INVALID_ARGUMENT', 'a handle is a string');
  const bare = (handle.startsWith('@') ? handle.slice(1) : handle).toLowerCase();
  if (!HANDLE_RE.test(bare)) {
    throw new KeyTransparencyError('INVALID_ARGUMENT', 'a handle is 3-32 characters of a-z, 0-9, "_" and "." (not first or last), optionally after "@"');
  }
  return bare;
}

/** The label an account's identity key is logged under. */
export function accountLabel(accountId: string): Uint8Array {
  const label = new Uint8Array(1 + UUID_SIZE);
  label[0] = ACCOUNT_PREFIX;
  label.set(uuidBytes(accountId), 1);
  return label;
}

/** The label a handle's account id is logged under (the handle is normalized first). */
export function handleLabel(handle: string): Uint8Array {
  const bytes = new TextEncoder().encode(normalizeHandle(handle));
  const label = new Uint8Array(1 + bytes.length);
  label[0] = HANDLE_PREFIX;
  label.set(bytes, 1);
  return label;
}

/** What a label is: an account's, with its id, or a handle's, with the handle. */
export type ParsedLabel = { kind: 'account'; accountId: string } | { kind: 'handle'; handle: string };

/** Parses a label made by accountLabel or handleLabel; MALFORMED otherwise. */
export function parseLabel(label: Uint8Array): ParsedLabel {
  ensure(label instanceof Uint8Array && label.length > 1, 'MALFORMED', 'a label has a prefix byte and a body');
  if (label[0] === ACCOUNT_PREFIX && label.length === 1 + UUID_SIZE) return { kind: 'account', accountId: uuidString(label.subarray(1)) };
  if (label[0] === HANDLE_PREFIX) {
    let handle: string;
    try {
      handle = new TextDecoder('utf-8', { fatal: true }).decode(label.subarray(1));
    } catch {
      throw new KeyTransparencyError('MALFORMED', 'a handle label is not UTF-8');
    }
    ensure(HANDLE_RE.test(handle), 'MALFORMED', 'a handle label does not hold a normalized handle');
    return { kind: 'handle', handle };
  }
  throw new KeyTransparencyError('MALFORMED', 'a label starts with "a" (account) or "h" (handle)');
}

/** The value logged under an account label: 0x01 ‖ the 33-byte identity key. */
export function encodeIdentityValue(identityKey: Uint8Array): Uint8Array {
  ensure(identityKey instanceof Uint8Array && identityKey.length === IDENTITY_KEY_SIZE && identityKey[0] === 0x05, 'INVALID_ARGUMENT', 'an identity key is 33 bytes, 0x05 ‖ u');
  const out = new Uint8Array(1 + IDENTITY_KEY_SIZE);
  out[0] = VALUE_VERSION;
  out.set(identityKey, 1);
  return out;
}

/** The identity key in an account label's value (a copy); MALFORMED for anything else. */
export function decodeIdentityValue(value: Uint8Array): Uint8Array {
  ensure(value instanceof Uint8Array && value.length === 1 + IDENTITY_KEY_SIZE && value[0] === VALUE_VERSION && value[1] === 0x05, 'MALFORMED', 'an identity value is 0x01 ‖ 0x05 ‖ 32 bytes');
  return value.slice(1);
}

/** The value logged under a handle label: 0x01 ‖ the account id's 16 bytes. */
export function encodeHandleValue(accountId: string): Uint8Array {
  const out = new Uint8Array(1 + UUID_SIZE);
  out[0] = VALUE_VERSION;
  out.set(uuidBytes(accountId), 1);
  return out;
}

/** The account id in a handle label's value; MALFORMED for anything else. */
export function decodeHandleValue(value: Uint8Array): string {
  ensure(value instanceof Uint8Array && value.length === 1 + UUID_SIZE && value[0] === VALUE_VERSION, 'MALFORMED', 'a handle value is 0x01 ‖ 16 bytes');
  return uuidString(value.subarray(1));
}
