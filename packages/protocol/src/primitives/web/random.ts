/** Randomness from WebCrypto's getRandomValues (browsers, workers, Deno, Node >= 19). */

/** getRandomValues fills at most 65536 bytes per call (WebCrypto's quota). */
const MAX_PER_CALL = 65536;

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += MAX_PER_CALL) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + MAX_PER_CALL)));
  }
  return out;
}
