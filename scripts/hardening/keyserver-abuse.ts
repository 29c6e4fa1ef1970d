/**
 * `npx tsx scripts/hardening/keyserver-abuse.ts` — prints the figures in
 * docs/hardening/keyserver.md: server CPU of a replayed 100-Kyber-key upload
 * (now refused before any signature) against the signature work the old
 * order paid; one-time keys a crowd of requesters gets out of one victim;
 * limiter state after a random-target flood; memory of a full limiter.
 */
import { randomUUID } from 'node:crypto';
import { kyber1024KeyGen, randomBytes, x25519GenerateKeyPair, xeddsaSign, xeddsaVerify } from '@sealpost/protocol/primitives';
import { basicAuthHeader, buildKeyServer, RateLimiter } from '../../services/keyserver/src/index.ts';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function main(): Promise<void> {
  const app = await buildKeyServer({ docs: false, settings: { registrationRateLimit: false, keyUploadRateLimit: false } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const json = async (method: string, path: string, body?: unknown, auth?: string) => {
    const r = await fetch(url + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(auth === undefined ? {} : { authorization: auth }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  const account = async () => {
    const kp = x25519GenerateKeyPair();
    const identity = Uint8Array.of(5, ...kp.publicKey);
    const secret = randomBytes(32);
    const spk = Uint8Array.of(5, ...x25519GenerateKeyPair().publicKey);
    const lr = Uint8Array.of(8, ...kyber1024KeyGen().publicKey);
    const r = await json('POST', '/v1/accounts', {
      identityKey: b64(identity),
      registrationId: 7,
      deviceSecret: b64(secret),
      signedPreKey: { keyId: 1, publicKey: b64(spk), signature: b64(xeddsaSign(kp.privateKey, spk)) },
      pqLastResortPreKey: { keyId: 2, publicKey: b64(lr), signature: b64(xeddsaSign(kp.privateKey, lr)) },
    });
    return { id: r.body.accountId as string, auth: basicAuthHeader(r.body.accountId, 1, secret), privateKey: kp.privateKey, identity };
  };

  // 1. Replay of a 100-Kyber-key upload.
  const victim = await account();
  const kyber = Uint8Array.of(8, ...kyber1024KeyGen().publicKey);
  const sig = xeddsaSign(victim.privateKey, kyber);
  const pqPreKeys = Array.from({ length: 100 }, (_, i) => ({ keyId: 1000 + i, publicKey: b64(kyber), signature: b64(sig) }));
  const preKeys = Array.from({ length: 100 }, (_, i) => ({ keyId: 1000 + i, publicKey: b64(Uint8Array.of(5, ...x25519GenerateKeyPair().publicKey)) }));
  const upload = { preKeys, pqPreKeys };
  console.log(`upload body: ${(JSON.stringify(upload).length / 1024).toFixed(1)} KiB`);
  console.log(`first upload: ${(await json('PUT', '/v1/keys', upload, victim.auth)).status}`);
  const n = 200;
  let t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await json('PUT', '/v1/keys', upload, victim.auth);
  let dt = process.cpuUsage(t0);
  console.log(`replayed upload (409 before signatures): ${((dt.user + dt.system) / 1000 / n).toFixed(2)} ms CPU per request (client + server in one process)`);
  t0 = process.cpuUsage();
  for (let i = 0; i < 20; i++) for (let k = 0; k < 100; k++) xeddsaVerify(victim.identity.subarray(1), kyber, sig);
  dt = process.cpuUsage(t0);
  console.log(`100 signature verifications (what each replay cost before): ${((dt.user + dt.system) / 1000 / 20).toFixed(2)} ms CPU`);

  // 2. A crowd of 38 requesters, 6 fetches each, against the default budget.
  const crowd = await Promise.all(Array.from({ length: 38 }, () => account()));
  const started = Date.now();
  const res = await Promise.all(crowd.flatMap((c) => Array.from({ length: 6 }, (_, j) => json('GET', `/v1/keys/${victim.id}/${j % 2 ? '*' : '1'}`, undefined, c.auth))));
  const ok = res.filter((r) => r.status === 200);
  const oneTime = ok.filter((r) => r.body.devices[0].preKey !== undefined).length;
  console.log(`38 requesters × 6 fetches in ${Date.now() - started} ms: ${ok.length} bundles, ${oneTime} EC one-time keys handed out; victim keeps ${(await json('GET', '/v1/keys/count', undefined, victim.auth)).body.count} of 100`);

  // 3. Random-target flood.
  const ctx = app.keyserver;
  const before = [await ctx.bundleLimiter!.trackedKeys(), await ctx.targetBudget!.trackedKeys()];
  const heap0 = process.memoryUsage().heapUsed;
  const flood = 20_000;
  for (let i = 0; i < flood; i += 100) await Promise.all(Array.from({ length: 100 }, () => json('GET', `/v1/keys/${randomUUID()}/*`, undefined, crowd[0]!.auth)));
  console.log(`${flood} random-target fetches: limiter sizes ${before.join('/')} → ${await ctx.bundleLimiter!.trackedKeys()}/${await ctx.targetBudget!.trackedKeys()}; heap ${((process.memoryUsage().heapUsed - heap0) / 2 ** 20).toFixed(1)} MiB delta`);
  await app.close();

  // 4. A full in-memory limiter at the default cap, then 1,000,000 fresh keys.
  globalThis.gc?.();
  const h0 = process.memoryUsage().heapUsed;
  const l = new RateLimiter({ burst: 6, refillMs: 600_000 }, 200_000);
  for (let i = 0; i < 1_000_000; i++) l.take(`${randomUUID()}.1>${randomUUID()}`, 0);
  globalThis.gc?.();
  console.log(`limiter after 1,000,000 distinct keys: ${l.size} tracked, ${((process.memoryUsage().heapUsed - h0) / 2 ** 20).toFixed(0)} MiB heap`);
}

await main();
