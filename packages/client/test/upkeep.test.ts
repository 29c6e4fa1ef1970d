/**
 * Prekey upkeep logic against an in-process key-server model that checks
 * what a real server checks (signatures by the identity key, duplicate ids,
 * the 100-key batch cap) and hands keys out like one. The end-to-end suite
 * runs the same upkeep against the real key server.
 */
import { describe, expect, it } from 'vitest';
import { generateIdentityKeyPair, verifyIdentitySignature } from '@sealpost/protocol';
import { MemoryStore } from '../src/store/memory.ts';
import { PreKeyUpkeep, type PreKeyServer, type PreKeyUpload } from '../src/upkeep.ts';
import { decodeKyberPreKey, decodeOneTimePreKey, decodeSignedPreKey } from '../src/keys.ts';

const DAY = 24 * 3600_000;

class ModelKeyServer implements PreKeyServer {
  readonly ec = new Map<number, Uint8Array>();
  readonly kyber = new Map<number, Uint8Array>();
  readonly everSeen = { ec: new Set<number>(), kyber: new Set<number>() };
  signed: { keyId: number; publicKey: Uint8Array } | undefined;
  lastResort: { keyId: number; publicKey: Uint8Array } | undefined;
  uploads = 0;
  failNext = false;
  constructor(private readonly identityKey: Uint8Array) {}

  async preKeyCounts() {
    return { ec: this.ec.size, kyber: this.kyber.size };
  }

  async uploadPreKeys(u: PreKeyUpload) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('server down');
    }
    for (const k of [u.signedPreKey, u.pqLastResortPreKey, ...(u.pqPreKeys ?? [])]) {
      if (k !== undefined && !verifyIdentitySignature(this.identityKey, k.publicKey, k.signature)) throw new Error(`bad signature on ${k.keyId}`);
    }
    if ((u.preKeys?.length ?? 0) > 100 || (u.pqPreKeys?.length ?? 0) > 100) throw new Error('batch too large');
    for (const k of u.preKeys ?? []) {
      if (this.everSeen.ec.has(k.keyId)) throw new Error(`duplicate ec id ${k.keyId}`);
      this.everSeen.ec.add(k.keyId);
      this.ec.set(k.keyId, k.publicKey);
    }
    for (const k of u.pqPreKeys ?? []) {
      if (this.everSeen.kyber.has(k.keyId)) throw new Error(`duplicate kyber id ${k.keyId}`);
      this.everSeen.kyber.add(k.keyId);
      this.kyber.set(k.keyId, k.publicKey);
    }
    if (u.signedPreKey) this.signed = u.signedPreKey;
    if (u.pqLastResortPreKey) this.lastResort = u.pqLastResortPreKey;
    this.uploads++;
  }

  /** Hands out one bundle's one-time keys, as a fetch would. */
  take(): { ec: number | undefined; kyber: number | undefined } {
    const ec = this.ec.keys().next().value;
    const kyber = this.kyber.keys().next().value;
    if (ec !== undefined) this.ec.delete(ec);
    if (kyber !== undefined) this.kyber.delete(kyber);
    return { ec, kyber };
  }
}

describe('prekey upkeep', () => {
  it('stocks 100 + 100 one-time keys and long-lived keys whose private halves the store holds', async () => {
    const identity = generateIdentityKeyPair();
    const store = new MemoryStore();
    const server = new ModelKeyServer(identity.publicKey);
    let now = 1_000_000;
    const upkeep = new PreKeyUpkeep(store, server, identity, {}, () => now);
    const report = await upkeep.run();
    expect(report).toMatchObject({ uploadedEc: 100, uploadedKyber: 100, rotatedSigned: true, rotatedLastResort: true });
    expect(server.ec.size).toBe(100);
    expect(server.kyber.size).toBe(100);
    // Every public key on the server has its private half in the store.
    for (const [id, pub] of server.ec) expect(decodeOneTimePreKey((await store.preKeys.load(id))!).keyPair.publicKey).toEqual(pub);
    for (const [id, pub] of server.kyber) expect(decodeKyberPreKey((await store.kyberPreKeys.load(id))!).keyPair.publicKey).toEqual(pub);
    expect(decodeSignedPreKey((await upkeep.current('signed'))!).keyPair.publicKey).toEqual(server.signed!.publicKey);
    expect(decodeKyberPreKey((await upkeep.current('kyber'))!).keyPair.publicKey).toEqual(server.lastResort!.publicKey);
    // A second run with stock above the threshold does nothing.
    now += 1000;
    expect(await upkeep.run()).toEqual({ uploadedEc: 0, uploadedKyber: 0, rotatedSigned: false, rotatedLastResort: false, deleted: 0 });
    expect(server.uploads).toBe(1);
  });

  it('refills by 100 only when fewer than 10 remain, never reusing an id', async () => {
    const identity = generateIdentityKeyPair();
    const store = new MemoryStore();
    const server = new ModelKeyServer(identity.publicKey);
    const upkeep = new PreKeyUpkeep(store, server, identity, {}, () => 5);
    await upkeep.run();
    for (let i = 0; i < 90; i++) server.take();
    expect((await upkeep.run()).uploadedEc).toBe(0); // 10 left: not below 10
    server.take();
    expect(await upkeep.run()).toMatchObject({ uploadedEc: 100, uploadedKyber: 100 });
    expect(server.ec.size).toBe(109);
    expect(server.everSeen.ec.size).toBe(200);
    expect(server.everSeen.kyber.size).toBe(200);
    // Kyber one-time ids also never collide with the last-resort key's id.
    expect(server.everSeen.kyber.has(server.lastResort!.keyId)).toBe(false);
  });

  it('rotates signed and last-resort keys after the interval and deletes old private keys after the grace period', async () => {
    const identity = generateIdentityKeyPair();
    const store = new MemoryStore();
    const server = new ModelKeyServer(identity.publicKey);
    let now = 10 * DAY;
    const upkeep = new PreKeyUpkeep(store, server, identity, { rotationIntervalMs: 2 * DAY, gracePeriodMs: 7 * DAY }, () => now);
    await upkeep.run();
    const first = { signed: (await upkeep.current('signed'))!.id, kyber: (await upkeep.current('kyber'))!.id };
    now += 2 * DAY - 1;
    expect((await upkeep.run()).rotatedSigned).toBe(false);
    now += 1;
    expect(await upkeep.run()).toMatchObject({ rotatedSigned: true, rotatedLastResort: true, deleted: 0 });
    expect((await upkeep.current('signed'))!.id).not.toBe(first.signed);
    expect(server.signed!.keyId).toBe((await upkeep.current('signed'))!.id);
    // The replaced keys stay usable during the grace period...
    expect(await store.signedPreKeys.load(first.signed)).toMatchObject({ replacedAt: now });
    expect(await store.kyberPreKeys.load(first.kyber)).toMatchObject({ replacedAt: now, lastResort: true });
    now += 7 * DAY - 1;
    await upkeep.prune();
    expect(await store.signedPreKeys.load(first.signed)).toBeDefined();
    // ...and are deleted after it (the run also rotates again: 7 days > 2 days).
    now += 1;
    const report = await upkeep.run();
    expect(report.deleted).toBe(2);
    expect(await store.signedPreKeys.load(first.signed)).toBeUndefined();
    expect(await store.kyberPreKeys.load(first.kyber)).toBeUndefined();
    expect(await store.signedPreKeys.list()).toHaveLength(2); // current + the one just replaced
  });

  it('keeps nothing of a failed upload and succeeds on the next run', async () => {
    const identity = generateIdentityKeyPair();
    const store = new MemoryStore();
    const server = new ModelKeyServer(identity.publicKey);
    const upkeep = new PreKeyUpkeep(store, server, identity, {}, () => 1);
    server.failNext = true;
    await expect(upkeep.run()).rejects.toThrow('server down');
    expect(await store.preKeys.list()).toHaveLength(0);
    expect(await store.signedPreKeys.list()).toHaveLength(0);
    expect(await upkeep.current('signed')).toBeUndefined();
    expect((await upkeep.run()).uploadedEc).toBe(100);
    expect(await store.preKeys.list()).toHaveLength(100);
  });

  it('shares one run between concurrent triggers', async () => {
    const identity = generateIdentityKeyPair();
    const server = new ModelKeyServer(identity.publicKey);
    const upkeep = new PreKeyUpkeep(new MemoryStore(), server, identity, {}, () => 1);
    const [a, b] = await Promise.all([upkeep.run(), upkeep.run()]);
    expect(a).toBe(b);
    expect(server.uploads).toBe(1);
  });
});
