/**
 * Issue 11.8 over real HTTP: a crowd of requesters cannot drain a victim's
 * one-time prekeys beyond the per-target budget (they get the last-resort
 * key instead); `/1` and `/*` share one (requester, target) bucket; floods
 * for random targets create no limiter state and leave the victim's spent
 * budget spent; limiters are bounded and deny rather than forget; IPv6
 * addresses are grouped by /64.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddressKey } from '../src/client-address.ts';
import { RateLimiter } from '../src/index.ts';
import { b64, call, createAccount, ecPublicKey, kyberPublicKey, signedKey, startServer, type DeviceLogin, type RunningServer } from './support.ts';
import { buildTestKeyServer } from './test-stores.ts';

const HOUR = 3_600_000;

async function victimWithKeys(server: RunningServer, n: number): Promise<DeviceLogin> {
  const victim = await createAccount(server);
  const preKeys = Array.from({ length: n }, (_, i) => ({ keyId: 100 + i, publicKey: b64(ecPublicKey()) }));
  const pqPreKeys = Array.from({ length: n }, (_, i) => signedKey(victim.identity, 100 + i, kyberPublicKey()));
  expect((await call(server, 'PUT', '/v1/keys', { auth: victim.auth, body: { preKeys, pqPreKeys } })).body).toEqual({ count: n, pqCount: n });
  return victim;
}

describe('per-target one-time-key budget', () => {
  let server: RunningServer;
  const now = 1_800_000_000_000;
  beforeAll(async () => {
    server = await startServer({
      now: () => now,
      settings: { bundleRateLimit: { burst: 6, refillMs: HOUR }, bundleTargetBudget: { burst: 10, refillMs: HOUR } },
    });
  });
  afterAll(async () => server.close());

  it('40 requesters fetching 6 bundles each get 10 one-time keys in total; everyone still gets a bundle', async () => {
    const victim = await victimWithKeys(server, 100);
    const crowd = await Promise.all(Array.from({ length: 40 }, () => createAccount(server)));
    const responses = await Promise.all(
      crowd.flatMap((r, i) => Array.from({ length: 6 }, (_, j) => call(server, 'GET', `/v1/keys/${victim.accountId}/${(i + j) % 2 === 0 ? '1' : '*'}`, { auth: r.auth }))),
    );
    expect(responses.map((r) => r.status).every((s) => s === 200)).toBe(true);
    const devices = responses.map((r) => r.body.devices[0]);
    expect(devices.filter((d) => d.preKey !== undefined)).toHaveLength(10);
    expect(devices.filter((d) => !d.pqPreKeyIsLastResort)).toHaveLength(10);
    // Over budget: signed prekey + last-resort key, as a drained device serves.
    expect(new Set(devices.filter((d) => d.pqPreKeyIsLastResort).map((d) => d.pqPreKey.keyId))).toEqual(new Set([2]));
    expect((await call(server, 'GET', '/v1/keys/count', { auth: victim.auth })).body).toEqual({ count: 90, pqCount: 90 });
    // Pair buckets are still per requester: the 7th fetch of one requester is refused.
    const seventh = await call(server, 'GET', `/v1/keys/${victim.accountId}/1`, { auth: crowd[0]!.auth });
    expect([seventh.status, seventh.headers.get('retry-after')]).toEqual([429, '3600']);
  });

  it("'/1' and '/*' share one bucket per (requester, target)", async () => {
    const victim = await victimWithKeys(server, 5);
    const me = await createAccount(server);
    for (const selector of ['1', '*', '1', '*', '1', '*']) {
      expect((await call(server, 'GET', `/v1/keys/${victim.accountId}/${selector}`, { auth: me.auth })).status).toBe(200);
    }
    for (const selector of ['1', '*']) {
      const r = await call(server, 'GET', `/v1/keys/${victim.accountId}/${selector}`, { auth: me.auth });
      expect([selector, r.status, r.body.error.code]).toEqual([selector, 429, 'RATE_LIMITED']);
    }
  });

  it('random-target floods create no limiter state and do not reset a spent budget', async () => {
    const victim = await victimWithKeys(server, 30);
    const drainers = await Promise.all(Array.from({ length: 2 }, () => createAccount(server)));
    for (const d of drainers) for (let i = 0; i < 5; i++) await call(server, 'GET', `/v1/keys/${victim.accountId}/1`, { auth: d.auth });
    expect((await call(server, 'GET', '/v1/keys/count', { auth: victim.auth })).body.count).toBe(20);
    const ctx = server.app.keyserver;
    const sizes = async () => [await ctx.bundleLimiter!.trackedKeys(), await ctx.targetBudget!.trackedKeys()];
    const before = await sizes();

    const flooder = await createAccount(server);
    const statuses = new Map<number, number>();
    for (let round = 0; round < 40; round++) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => call(server, 'GET', `/v1/keys/${randomUUID()}/*`, { auth: flooder.auth })));
      for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 404: 2000 });
    expect(await sizes()).toEqual(before);

    // The victim's budget is still spent: a fresh requester gets no one-time key.
    const fresh = await createAccount(server);
    const r = await call(server, 'GET', `/v1/keys/${victim.accountId}/1`, { auth: fresh.auth });
    expect([r.status, r.body.devices[0].preKey, r.body.devices[0].pqPreKeyIsLastResort]).toEqual([200, undefined, true]);
    expect((await call(server, 'GET', '/v1/keys/count', { auth: victim.auth })).body.count).toBe(20);
  });
});

describe('bounded limiters deny rather than forget', () => {
  it('a full limiter refuses new keys, keeps spent buckets spent, and frees only refilled ones', () => {
    const l = new RateLimiter({ burst: 2, refillMs: 1000 }, 100);
    expect(l.take('victim', 0)).toEqual({ allowed: true });
    expect(l.take('victim', 0)).toEqual({ allowed: true });
    let denied = 0;
    for (let i = 0; i < 10_000; i++) if (!l.take(`flood${i}`, 1).allowed) denied++;
    expect(l.size).toBeLessThanOrEqual(100);
    expect(denied).toBe(10_000 - 99);
    // Not forgotten: the victim's spent bucket still refuses.
    expect(l.take('victim', 2)).toEqual({ allowed: false, retryAfterMs: 998 });
    // Once buckets have refilled completely they carry no information and make room.
    expect(l.take('newcomer', 5000)).toEqual({ allowed: true });
  });
});

describe('client addresses', () => {
  it('groups IPv6 by /64 and unmaps IPv4-mapped addresses', () => {
    expect(clientAddressKey('2001:db8:1:2::1')).toBe(clientAddressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(clientAddressKey('2001:db8:1:2::1')).toBe('v6:2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(clientAddressKey('2001:db8:1:2::1'));
    expect(clientAddressKey('::ffff:192.0.2.7')).toBe(clientAddressKey('192.0.2.7'));
    expect(clientAddressKey('192.0.2.7')).not.toBe(clientAddressKey('192.0.2.8'));
    expect(clientAddressKey('fe80::1%eth0')).toBe(clientAddressKey('fe80::2'));
  });

  it('over real HTTP on ::1, registrations are charged to the /64 (::2 shares the spent bucket)', async () => {
    // A server listening on ::1 (the loopback every IPv6 host has).
    const { app } = await buildTestKeyServer({ docs: false, settings: { registrationRateLimit: { burst: 2, refillMs: HOUR } } });
    await app.listen({ host: '::1', port: 0 });
    try {
      const url = `http://[::1]:${(app.server.address() as { port: number }).port}`;
      const target = { url };
      await createAccount(target);
      await createAccount(target);
      await expect(createAccount(target)).rejects.toThrow(/429/);
      const limiter = app.keyserver.registrationLimiter!;
      expect((await limiter.take(`register:${clientAddressKey('::2')}`, Date.now())).allowed).toBe(false);
      expect((await limiter.take(`register:${clientAddressKey('::1:0:0:0:1')}`, Date.now())).allowed).toBe(true);
    } finally {
      await app.close();
    }
  });
});
