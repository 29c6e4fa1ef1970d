/**
 * The relay's opt-in caches: the access-key cache forgets absence (and
 * presence) after its TTL, so a key registered through another relay
 * instance on the same database (SQLite file or PostgreSQL) is honoured; the credential cache checks
 * each token's signature once but never outlives the credential's expiry.
 */
import { describe, expect, it } from 'vitest';
import { CachedAccessKeys } from '../src/store/index.ts';
import { STORE_BACKENDS } from './support/store-backends.ts';
import { cachingCredentialVerifier } from '../src/credential-cache.ts';
import type { AuthenticatedDevice } from '../src/auth.ts';

for (const backend of STORE_BACKENDS) {
  describe.runIf(backend.available)(`CachedAccessKeys over ${backend.name}`, () => {
    it('sees a key registered through another instance once its TTL has passed', async () => {
      const opened = await backend.open();
      const a = opened.store;
      const b = await opened.second();
      let clock = 1_000;
      const cachedA = new CachedAccessKeys(a, { ttlMs: 500, now: () => clock });
      const hash = new Uint8Array(32).fill(7);
      expect(await cachedA.accessKeyHash('acct')).toBeUndefined(); // absence, cached for 500 ms
      await b.setAccessKeyHash('acct', hash);
      clock += 499;
      expect(await cachedA.accessKeyHash('acct')).toBeUndefined();
      clock += 1;
      expect(await cachedA.accessKeyHash('acct')).toEqual(hash);
      // A replacement through B is seen after the TTL too; one through A at once.
      const next = new Uint8Array(32).fill(8);
      await b.setAccessKeyHash('acct', next);
      expect(await cachedA.accessKeyHash('acct')).toEqual(hash);
      clock += 500;
      expect(await cachedA.accessKeyHash('acct')).toEqual(next);
      const own = new Uint8Array(32).fill(9);
      await cachedA.setAccessKeyHash('acct', own);
      expect(await cachedA.accessKeyHash('acct')).toEqual(own);
      expect(await b.accessKeyHash('acct')).toEqual(own);
      await opened.close();
    });
  });
}

describe('CachedAccessKeys', () => {
  it('does not remember a read that overlapped a write', async () => {
    let stored: Uint8Array | undefined;
    let release: () => void = () => {};
    const slow = {
      accessKeyHash: async () => {
        const seen = stored;
        await new Promise<void>((r) => (release = r));
        return seen;
      },
      setAccessKeyHash: async (_: string, h: Uint8Array) => {
        stored = h;
      },
    };
    const cached = new CachedAccessKeys(slow, { ttlMs: 60_000 });
    const read = cached.accessKeyHash('acct');
    await cached.setAccessKeyHash('acct', new Uint8Array(32).fill(1));
    release();
    expect(await read).toBeUndefined(); // the stale answer goes to its caller only
    expect(await cached.accessKeyHash('acct')).toEqual(new Uint8Array(32).fill(1));
  });
});

describe('cachingCredentialVerifier', () => {
  it('verifies a token once, re-checks expiry on every use, never caches failures', () => {
    const calls: string[] = [];
    const device = { accountId: 'a', deviceId: 1, registrationId: 7, expiresAt: 100, audience: 'http://relay.test' };
    const inner = (token: string, now: number): AuthenticatedDevice | undefined => {
      calls.push(token);
      return token === 'good' && now < 100 ? { ...device } : undefined;
    };
    const verify = cachingCredentialVerifier(inner);
    expect(verify('good', 1)).toEqual(device);
    expect(verify('good', 50)).toEqual(device);
    expect(verify('bad', 1)).toBeUndefined();
    expect(verify('bad', 2)).toBeUndefined();
    expect(calls).toEqual(['good', 'bad', 'bad']);
    expect(verify('good', 100)).toBeUndefined();
    expect(verify('good', 101)).toBeUndefined();
    expect(calls).toEqual(['good', 'bad', 'bad', 'good']);
  });
});
