/**
 * Which primitives backend this run uses, and the caches it keeps. The
 * default vitest project runs with the `node` backend; the `web-primitives`
 * project (vitest.config.ts) forces the `sealpost-web` condition and sets
 * SEALPOST_EXPECT_PRIMITIVES_BACKEND=web, so these tests prove that the web
 * run really runs web code — randomness from crypto.getRandomValues, no
 * KeyObject caches — and that the node run really runs node:crypto.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  clearPrimitiveCaches,
  primitiveCacheSizes,
  primitivesBackend,
  randomBytes,
  toHex,
  x25519Agree,
  x25519GenerateKeyPair,
  x25519PublicKey,
} from '../../src/primitives/index.ts';

const expected = process.env.SEALPOST_EXPECT_PRIMITIVES_BACKEND ?? 'node';

afterEach(() => {
  vi.restoreAllMocks();
});

describe(`primitives backend (${expected} run)`, () => {
  it(`is the ${expected} backend`, () => {
    expect(['node', 'web']).toContain(expected);
    expect(primitivesBackend).toBe(expected);
  });

  it('draws randomness from crypto.getRandomValues exactly when it is the web backend', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const bytes = randomBytes(70_000); // more than one getRandomValues call may fill
    expect(bytes.length).toBe(70_000);
    expect(new Set(bytes.subarray(0, 4096)).size).toBeGreaterThan(200);
    if (expected === 'web') {
      expect(spy).toHaveBeenCalledTimes(2);
    } else {
      expect(spy).not.toHaveBeenCalled();
    }
  });
});

describe('primitive caches', () => {
  it('stay bounded however many keys pass through, and clear', () => {
    const peer = x25519GenerateKeyPair();
    for (let i = 0; i < 200; i++) {
      const ours = x25519GenerateKeyPair();
      expect(toHex(x25519Agree(ours.privateKey, peer.publicKey))).toBe(toHex(x25519Agree(peer.privateKey, ours.publicKey)));
    }
    const sizes = primitiveCacheSizes();
    if (expected === 'node') {
      expect(sizes.x25519PrivateKeys).toBeGreaterThan(0);
      expect(sizes.x25519PrivateKeys).toBeLessThanOrEqual(64);
      expect(sizes.x25519PublicKeys).toBeGreaterThan(0);
      expect(sizes.x25519PublicKeys).toBeLessThanOrEqual(16);
    } else {
      expect(sizes).toEqual({});
    }
    clearPrimitiveCaches();
    for (const n of Object.values(primitiveCacheSizes())) expect(n).toBe(0);
  });

  it('give the same results after a clear as before it', () => {
    const a = x25519GenerateKeyPair();
    const b = x25519GenerateKeyPair();
    const shared = toHex(x25519Agree(a.privateKey, b.publicKey));
    const publicKey = toHex(x25519PublicKey(a.privateKey));
    clearPrimitiveCaches();
    expect(toHex(x25519Agree(a.privateKey, b.publicKey))).toBe(shared);
    expect(toHex(x25519PublicKey(a.privateKey))).toBe(publicKey);
    expect(toHex(x25519Agree(b.privateKey, a.publicKey))).toBe(shared);
  });
});

describe('primitives outside the node backend', () => {
  const dir = fileURLToPath(new URL('../../src/primitives/', import.meta.url));
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('node'));

  it('import no node:* module and use no Buffer (so a browser bundle needs no polyfill)', () => {
    expect(files).toEqual(expect.arrayContaining(['index.ts', 'x25519.ts', 'web/index.ts']));
    for (const file of files) {
      // Comments may name them; code may not.
      const code = readFileSync(dir + file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/from\s+['"]node:|import\(\s*['"]node:|require\(\s*['"]node:/);
      expect(code, file).not.toMatch(/\bBuffer\b/);
    }
  });
});
