/**
 * `npx tsx scripts/hardening/keyserver-replay-flood.ts [--seconds 5] [--connections 16]`
 *
 * A bystander's latency while one device replays a 100 EC + 100 Kyber key
 * upload (~225 KiB) as fast as it can, against a key server in a child
 * process: once with the per-device upload limit off (the replay is refused
 * by the cheap checks, before any signature), once with the default limit
 * (refused before the body is read). Prints server CPU per replay and the
 * bystander's p50/p99.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kyber1024KeyGen, randomBytes, x25519GenerateKeyPair, xeddsaSign } from '@sealpost/protocol/primitives';
import { basicAuthHeader, buildKeyServer as buildCurrent } from '../../services/keyserver/src/index.ts';

// KEYSERVER_SRC=<dir> measures another copy of the key server's src (e.g. the code before issue 11, extracted with git archive).
const buildKeyServer: typeof buildCurrent = process.env.KEYSERVER_SRC
  ? ((await import(`${process.env.KEYSERVER_SRC}/index.ts`)) as { buildKeyServer: typeof buildCurrent }).buildKeyServer
  : buildCurrent;

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};

if (process.argv.includes('--serve')) {
  const limit = process.argv.includes('--limit');
  const app = await buildKeyServer({ docs: false, settings: { registrationRateLimit: false, ...(limit ? {} : { keyUploadRateLimit: false }) } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${(app.server.address() as { port: number }).port}\n`);
  process.on('message', () => {
    const u = process.cpuUsage();
    process.send!({ cpuMs: (u.user + u.system) / 1000 });
  });
} else {
  const seconds = arg('seconds', 5);
  const connections = arg('connections', 16);
  for (const limit of process.env.KEYSERVER_SRC ? [false] : [false, true]) {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', ...(limit ? ['--limit'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    const url = `http://127.0.0.1:${port}`;
    const cpu = () => new Promise<number>((resolve) => { child.once('message', (m: any) => resolve(m.cpuMs)); child.send('cpu'); });
    const post = async (path: string, body: unknown, method = 'POST', auth?: string) =>
      fetch(url + path, { method, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
    const kp = x25519GenerateKeyPair();
    const secret = randomBytes(32);
    const created = (await (await post('/v1/accounts', { identityKey: b64(Uint8Array.of(5, ...kp.publicKey)), registrationId: 3, deviceSecret: b64(secret) })).json()) as { accountId: string };
    const auth = basicAuthHeader(created.accountId, 1, secret);
    const kyber = Uint8Array.of(8, ...kyber1024KeyGen().publicKey);
    const sig = b64(xeddsaSign(kp.privateKey, kyber));
    const upload = JSON.stringify({
      preKeys: Array.from({ length: 100 }, (_, i) => ({ keyId: i, publicKey: b64(Uint8Array.of(5, ...x25519GenerateKeyPair().publicKey)) })),
      pqPreKeys: Array.from({ length: 100 }, (_, i) => ({ keyId: i, publicKey: b64(kyber), signature: sig })),
    });
    const first = await fetch(`${url}/v1/keys`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: auth }, body: upload });
    await first.text();
    const bystanderKp = x25519GenerateKeyPair();
    const bSecret = randomBytes(32);
    const b = (await (await post('/v1/accounts', { identityKey: b64(Uint8Array.of(5, ...bystanderKp.publicKey)), registrationId: 4, deviceSecret: b64(bSecret) })).json()) as { accountId: string };
    const bAuth = basicAuthHeader(b.accountId, 1, bSecret);

    const cpu0 = await cpu();
    const end = Date.now() + seconds * 1000;
    let replays = 0;
    const statuses = new Map<number, number>();
    const flood = Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const r = await fetch(`${url}/v1/keys`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: auth }, body: upload });
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        replays++;
      }
    });
    const latencies: number[] = [];
    const bystander = (async () => {
      while (Date.now() < end) {
        const t = performance.now();
        const r = await fetch(`${url}/v1/keys/count`, { headers: { authorization: bAuth } });
        await r.arrayBuffer();
        latencies.push(performance.now() - t);
        await new Promise((r2) => setTimeout(r2, 5));
      }
    })();
    await Promise.all([...flood, bystander]);
    const cpuMs = (await cpu()) - cpu0;
    latencies.sort((x, y) => x - y);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
    console.log(
      `upload limit ${limit ? 'on (default)' : 'off'}: ${replays} replays in ${seconds} s (${(replays / seconds).toFixed(0)}/s, statuses ${JSON.stringify(Object.fromEntries(statuses))}), ` +
        `server CPU ${(cpuMs / replays).toFixed(2)} ms per replay; bystander p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (${latencies.length} requests)`,
    );
    child.kill();
  }
}
