/**
 * Child process of scripts/bench/keyserver.ts: runs one server to measure and
 * prints one JSON line `{ url, auth, path }` when it is listening.
 *
 *   tsx scripts/bench/keyserver-target.ts hello
 *   tsx scripts/bench/keyserver-target.ts keyserver <oneTimeKeys> <dbPath|:memory:>
 *
 * The key server is preloaded through its store (setup, not measured): one
 * target account with a signed prekey, a last-resort Kyber key and
 * `oneTimeKeys` EC + Kyber one-time keys (one real Kyber key pair reused under
 * many ids — the server does not look at key material after upload, so this
 * changes nothing it does per fetch), and one requester account. Logging is
 * off and the bundle rate limit is disabled (the benchmark is one requester).
 *
 * With `BENCH_PROFILE=<file.cpuprofile>` the server runs under the V8 CPU
 * profiler from the moment it listens (setup and preload excluded) and
 * writes the profile on SIGTERM (`profile.ts --summarize <file>` reads it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { kyber1024KeyGen, x25519GenerateKeyPair, xeddsaSign } from '@sealpost/protocol/primitives';
import { basicAuthHeader, buildKeyServer, hashDeviceSecret, SqliteKeyStore } from '@sealpost/keyserver';

const [mode, countArg, dbArg] = process.argv.slice(2);

/**
 * On SIGTERM: closes the server and prints (stderr, last line) the CPU time
 * used since listening — user + system µs, a measure of work per request
 * that other load on the machine does not inflate — and the keys left.
 */
async function reportCpuOnExit(close: () => Promise<unknown>, left: (() => unknown) | undefined): Promise<void> {
  const profileTo = process.env.BENCH_PROFILE;
  const session = profileTo === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  }
  const atReady = process.cpuUsage();
  process.on('SIGTERM', () => {
    const cpu = process.cpuUsage(atReady);
    void (async () => {
      if (session !== undefined) writeFileSync(profileTo!, JSON.stringify((await session.post('Profiler.stop')).profile));
      const keysLeft = await left?.();
      await close();
      console.error(JSON.stringify({ cpuMicros: cpu.user + cpu.system, left: keysLeft }));
      process.exit(0);
    })();
  });
}

async function main(): Promise<void> {
  if (mode === 'hello') {
    // The same Fastify the key server uses (the workspace resolves one version).
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    app.get('/', async () => ({ hello: 'world' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    await reportCpuOnExit(() => app.close(), undefined);
    console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, path: '/' }));
    return;
  }
  const oneTimeKeys = Number(countArg ?? 0);
  const store = new SqliteKeyStore(dbArg ?? ':memory:');
  const now = Date.now();
  const identity = x25519GenerateKeyPair();
  const identityKey = Uint8Array.of(0x05, ...identity.publicKey);
  const target = randomUUID();
  await store.createAccount({ accountId: target, identityKey, registrationId: 1234, secretHash: hashDeviceSecret(randomBytes(32)), now });
  const sign = (k: Uint8Array) => ({ publicKey: k, signature: xeddsaSign(identity.privateKey, k) });
  const kyber = sign(Uint8Array.of(0x08, ...kyber1024KeyGen().publicKey));
  const ec = sign(Uint8Array.of(0x05, ...x25519GenerateKeyPair().publicKey));
  await store.storeKeys(target, 1, { signedPreKey: { keyId: 1, ...ec }, pqLastResortPreKey: { keyId: 2, ...kyber } }, now, 0);
  for (let start = 0; start < oneTimeKeys; start += 10_000) {
    const n = Math.min(10_000, oneTimeKeys - start);
    await store.storeKeys(
      target,
      1,
      {
        preKeys: Array.from({ length: n }, (_, i) => ({ keyId: 100 + start + i, publicKey: ec.publicKey })),
        pqPreKeys: Array.from({ length: n }, (_, i) => ({ keyId: 100 + start + i, ...kyber })),
      },
      now,
      oneTimeKeys + 1,
    );
  }
  const requester = randomUUID();
  const secret = randomBytes(32);
  await store.createAccount({ accountId: requester, identityKey, registrationId: 99, secretHash: hashDeviceSecret(secret), now });
  // Start measuring from a clean WAL: the preload's big transactions are checkpointed here, not mid-run.
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const app = await buildKeyServer({ store, closeStore: true, docs: false, logger: false, settings: { bundleRateLimit: false, pruneIntervalMs: 0 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  await reportCpuOnExit(() => app.close(), () => store.countOneTimeKeys(target, 1));
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, path: `/v1/keys/${target}/1`, auth: basicAuthHeader(requester, 1, secret) }));
}

await main();
