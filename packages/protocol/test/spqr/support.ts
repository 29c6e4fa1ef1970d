/** Helpers for the SPQR tests: hex, a deterministic byte stream, vector paths. */
import { readFileSync } from 'node:fs';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** A deterministic randomBytes(n): SplitMix-style stream from a numeric seed (tests only). */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let s = BigInt(seed) & ((1n << 64n) - 1n);
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s = (s + 0x9e3779b97f4a7c15n) & ((1n << 64n) - 1n);
      let z = s;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & ((1n << 64n) - 1n);
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & ((1n << 64n) - 1n);
      out[i] = Number((z ^ (z >> 31n)) & 0xffn);
    }
    return out;
  };
}

export function sharedVectors<T>(relative: string): T {
  const url = new URL(`../../../../../shared/test-vectors/${relative}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

export function repoVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../../test-vectors/${name}`, import.meta.url), 'utf8')) as T;
}
