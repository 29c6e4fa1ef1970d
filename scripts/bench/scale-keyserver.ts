/**
 * The key-server half of the scale-out benchmark (scale.ts): prekey-bundle
 * fetches per second from 1 or 2 key-server instances (child processes) on
 * one database. One target account with a signed prekey and a last-resort
 * Kyber key (no one-time keys: every fetch reads the same rows, the steady
 * state of a drained device) and one requester, registered over HTTP;
 * autocannon then fetches `GET /v1/keys/:target/1` from every instance at
 * once, the connections split evenly, for `duration` seconds after a 2 s
 * warm-up. Rate limits are off in the targets (one client address).
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { basicAuthHeader } from '@sealpost/keyserver';
import { kyber1024KeyGen, toBase64, x25519GenerateKeyPair, xeddsaSign } from '@sealpost/protocol/primitives';
import { cpuSeconds } from '@sealpost/devkit/services';
import { startTarget, type Target } from './target-process.ts';

/** Where the instances keep their state. */
export type KeyServerStorage = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** One measured case. */
export interface BundleResult {
  instances: number;
  requests: number;
  rps: number;
  /** Latency percentiles, ms: of the instance with the higher value (autocannon reports per run). */
  p50: number;
  p99: number;
  failures: number;
  /** Key-server CPU seconds per 1,000 fetches (all instances). */
  cpuPerThousand: number;
}

async function post(url: string, body: unknown): Promise<{ accountId: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { accountId: string };
}

/** Registers the target (with its prekeys) and a requester through `url`; returns the path and the requester's credentials. */
async function preload(url: string): Promise<{ path: string; auth: string }> {
  const identity = x25519GenerateKeyPair();
  const identityKey = toBase64(Uint8Array.of(0x05, ...identity.publicKey));
  const signed = (publicKey: Uint8Array, keyId: number) => ({ keyId, publicKey: toBase64(publicKey), signature: toBase64(xeddsaSign(identity.privateKey, publicKey)) });
  const { accountId: target } = await post(`${url}/v1/accounts`, {
    identityKey,
    registrationId: 1234,
    deviceSecret: toBase64(new Uint8Array(randomBytes(32))),
    signedPreKey: signed(Uint8Array.of(0x05, ...x25519GenerateKeyPair().publicKey), 1),
    pqLastResortPreKey: signed(Uint8Array.of(0x08, ...kyber1024KeyGen().publicKey), 2),
  });
  const secret = new Uint8Array(randomBytes(32));
  const { accountId: requester } = await post(`${url}/v1/accounts`, { identityKey, registrationId: 99, deviceSecret: toBase64(secret) });
  return { path: `/v1/keys/${target}/1`, auth: basicAuthHeader(requester, 1, secret) };
}

/** Starts `instances` key servers on `storage`, measures bundle fetches, stops them. */
export async function benchBundles(storage: KeyServerStorage, instances: number, options: { connections: number; duration: number }): Promise<BundleResult> {
  const args = storage.kind === 'sqlite' ? ['--db', storage.path] : ['--database-url', storage.url];
  const targets: Array<Target<{ url: string }>> = [];
  // One after the other: the first migrates the schema.
  for (let i = 0; i < instances; i++) targets.push(await startTarget<{ url: string }>('scale-keyserver-target.ts', args));
  try {
    const { path, auth } = await preload(targets[0]!.url);
    // Every instance answers for the target (a shared database), checked before measuring.
    for (const t of targets) {
      const res = await fetch(t.url + path, { headers: { authorization: auth } });
      if (res.status !== 200) throw new Error(`bundle fetch from ${t.url}: ${res.status}`);
    }
    const per = Math.max(1, Math.floor(options.connections / instances));
    const run = (duration: number) => Promise.all(targets.map((t) => autocannon({ url: t.url + path, connections: per, duration, headers: { authorization: auth } })));
    await run(2);
    const cpu0 = targets.reduce((s, t) => s + cpuSeconds(t.pid), 0);
    const results = await run(options.duration);
    const cpu = targets.reduce((s, t) => s + cpuSeconds(t.pid), 0) - cpu0;
    const requests = results.reduce((n, r) => n + r.requests.total, 0);
    return {
      instances,
      requests,
      rps: results.reduce((n, r) => n + r.requests.average, 0),
      p50: Math.max(...results.map((r) => r.latency.p50)),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      failures: results.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
      cpuPerThousand: (cpu / requests) * 1000,
    };
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}
