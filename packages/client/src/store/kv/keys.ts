/**
 * Keys of the key/value store layout (`KvStore`): arrays whose first element
 * names the table (`['session', account, device]`), ordered as IndexedDB
 * orders array keys — element by element, numbers before strings, numbers
 * numerically, strings by UTF-16 code unit, a shorter prefix first.
 */

/** A record's key: table name, then the key parts. */
export type KvKey = readonly [string, ...(string | number)[]];

/** One buffered write: `value` undefined deletes the record. */
export interface KvWrite {
  readonly key: KvKey;
  readonly value: unknown;
}

/** A canonical string of `key` (map key; the AAD of an encrypted value). */
export function keyId(key: KvKey): string {
  return JSON.stringify(key);
}

function comparePart(a: string | number, b: string | number): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** IndexedDB's order of two array keys. */
export function compareKeys(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = comparePart(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** True when `key` starts with every part of `prefix`. */
export function hasPrefix(key: readonly (string | number)[], prefix: readonly (string | number)[]): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}
