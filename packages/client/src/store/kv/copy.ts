/**
 * Deep copies of record values: plain objects, arrays and byte arrays. A
 * `Uint8Array` is copied to a buffer of its own exact length — structured
 * clone (and so IndexedDB) would keep a view's whole underlying buffer,
 * storing bytes around it that were never meant to be stored.
 */
export function copyValue<T>(value: T): T {
  if (value instanceof Uint8Array) return value.slice() as T;
  if (Array.isArray(value)) return value.map(copyValue) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copyValue(v);
    return out as T;
  }
  return value;
}
