/** The one key-length boundary check every primitive uses. */
import { InvalidKeyError } from '../errors.ts';

/**
 * Checks that `value` is a Uint8Array of exactly `length` bytes and returns
 * it; otherwise throws InvalidKeyError
 * ("<name> must be a <length>-byte Uint8Array, got <n> bytes | <type>").
 * The key counterpart of checkBytes, which throws InvalidArgumentError.
 */
export function checkKeyBytes(name: string, value: unknown, length: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : value === null ? 'null' : typeof value;
    throw new InvalidKeyError(`${name} must be a ${length}-byte Uint8Array, got ${got}`);
  }
  return value;
}
