/**
 * Text encodings the client puts on the wire, over the protocol's byte
 * helpers (no `Buffer`, so the root entry runs in browsers). Malformed input
 * from a service or a user becomes `ClientError('INVALID_DATA')`.
 */
import {
  fromBase64 as strictFromBase64,
  fromBase64Url as strictFromBase64Url,
  toBase64,
  toBase64Url,
  utf8Decode,
  utf8Encode,
  uuidToBytes,
} from '@sealpost/protocol/primitives';
import { ClientError } from './errors.ts';

export { toBase64, toBase64Url };

function invalid<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new ClientError('INVALID_DATA', `${what} is not valid`, { cause: e });
  }
}

/** Decodes strict standard base64 (padding required); anything else is `INVALID_DATA` naming `name`. */
export function fromBase64(name: string, value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new ClientError('INVALID_DATA', `${name} is not base64`);
  return invalid(`${name} (base64)`, () => strictFromBase64(value, name));
}

/** Decodes strict unpadded base64url. */
export function fromBase64Url(name: string, value: string): Uint8Array {
  return invalid(`${name} (base64url)`, () => strictFromBase64Url(value, name));
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return utf8Encode(text);
}

/** `bytes` as UTF-8 text; invalid UTF-8 is `INVALID_DATA`. */
export function fromUtf8(name: string, bytes: Uint8Array): string {
  return invalid(name, () => utf8Decode(bytes, name));
}

/** The 16 bytes of a UUID account id; anything else is `INVALID_DATA`. */
export function accountUuidBytes(account: string): Uint8Array {
  return invalid(`account id ${account}`, () => uuidToBytes(account.toLowerCase()));
}
