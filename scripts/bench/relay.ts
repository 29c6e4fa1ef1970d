/**
 * Relay benchmark: sealed envelopes per second accepted (HTTP 200 means
 * persisted in SQLite), and delivered end to end over WebSocket, on
 * loopback, with p50/p99 latency — and a count of envelopes lost.
 *
 *   npx tsx scripts/bench/relay.ts [--requests 15000] [--concurrency 64]
 *        [--accounts 20] [--log-level info|warn] [--synchronous NORMAL|FULL]
 *
 * Setup (untimed): a key server in this process, the relay as a child process
 * (`services/relay/src/main.ts`, its own core), N accounts with 2 devices each
 * registered through the key server's API, every device connected to the
 * relay by WebSocket, and one distinct sealed sender v1 envelope (our sealV1,
 * real keys and sender certificate) per request. Timed: senders PUT
 * `/v1/messages/:account` with one envelope per device (2 per request) and the
 * `Unidentified-Access-Key`; receivers acknowledge in batches over the socket.
 *
 * End-to-end latency of an envelope = delivery on the recipient's socket − the
 * moment its PUT was issued.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { basicAuthHeader, buildKeyServer, generateRelayCredentialKeyPair } from '../../services/keyserver/src/index.ts';
import { createServerCertificate } from '../../packages/protocol/src/sealed-sender/certificates.ts';
import { sealV1 } from '../../packages/protocol/src/sealed-sender/index.ts';
import { x25519GenerateKeyPair } from '../../packages/protocol/src/primitives/index.ts';
import { WebSocket } from '../../services/relay/test/support/relay-client.ts';
import { deriveAccessKey } from '../../services/relay/src/access-key.ts';
import { RelayProcess, freePort } from '../../services/relay/test/support/world.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '15000' },
    concurrency: { type: 'string', default: '64' },
    accounts: { type: 'string', default: '20' },
    'log-level': { type: 'string', default: 'info' },
    synchronous: { type: 'string', default: 'NORMAL' },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ACCOUNTS = Number(values.accounts);
const DEVICES = 2;

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} -> ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface BenchDevice {
  deviceId: number;
  registrationId: number;
  token: string;
}
interface BenchAccount {
  id: string;
  /** Basic credentials of device 1 at the key server. */
  auth: string;
  identity: { privateKey: Uint8Array; publicKey: Uint8Array };
  accessKey: string;
  devices: BenchDevice[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'));
  const trustRoot = x25519GenerateKeyPair();
  const serverKey = x25519GenerateKeyPair();
  const serverCertificate = createServerCertificate({ keyId: 1, serverPublicKey: serverKey.publicKey, trustRootPrivateKey: trustRoot.privateKey });
  const relayKey = generateRelayCredentialKeyPair();
  const keyserver = await buildKeyServer({
    dbPath: join(dir, 'keyserver.sqlite'),
    senderCertificate: { certificate: serverCertificate.serialized, privateKey: serverKey.privateKey },
    relayCredentialKey: relayKey,
    settings: { registrationRateLimit: false, bundleRateLimit: false },
    docs: false,
  });
  await keyserver.listen({ host: '127.0.0.1', port: 0 });
  const ks = `http://127.0.0.1:${(keyserver.server.address() as { port: number }).port}`;
  const relay = new RelayProcess(await freePort(), join(dir, 'relay.sqlite'), ks, relayKey.publicKey, [
    '--log-level',
    String(values['log-level']),
    '--synchronous',
    String(values.synchronous),
    '--device-cache-ttl-ms',
    '60000',
  ]);
  await relay.start();

  // Accounts: identity, devices (primary + linked), relay credentials, access key.
  const accounts: BenchAccount[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const kp = x25519GenerateKeyPair();
    const identity = { privateKey: kp.privateKey, publicKey: Uint8Array.of(0x05, ...kp.publicKey) };
    const secrets = [new Uint8Array(randomBytes(32))];
    const created = await json<{ accountId: string }>(`${ks}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identityKey: b64(identity.publicKey), registrationId: 1 + a, deviceSecret: b64(secrets[0]!) }),
    });
    const id = created.accountId;
    const devices: BenchDevice[] = [];
    for (let d = 1; d <= DEVICES; d++) {
      if (d > 1) {
        const code = await json<{ code: string }>(`${ks}/v1/devices/provisioning-codes`, { method: 'POST', headers: { authorization: basicAuthHeader(id, 1, secrets[0]!) } });
        secrets.push(new Uint8Array(randomBytes(32)));
        await json(`${ks}/v1/devices/link`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ provisioningCode: code.code, registrationId: 1000 + a, deviceSecret: b64(secrets[d - 1]!) }),
        });
      }
      const cred = await json<{ token: string }>(`${ks}/v1/credentials/relay`, { headers: { authorization: basicAuthHeader(id, d, secrets[d - 1]!) } });
      devices.push({ deviceId: d, registrationId: d === 1 ? 1 + a : 1000 + a, token: cred.token });
    }
    const accessKey = deriveAccessKey(new Uint8Array(randomBytes(32)));
    const r = await fetch(`${relay.url}/v1/accounts/${id}/access-key`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${devices[0]!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accessKey: b64(accessKey) }),
    });
    if (r.status !== 204) throw new Error(`access key: ${r.status}`);
    accounts.push({ id, auth: basicAuthHeader(id, 1, secrets[0]!), identity, accessKey: b64(accessKey), devices });
  }
  // The sender (account 0, device 1) with a real sender certificate from the key server.
  const sender = accounts[0]!;
  const senderCertificate = new Uint8Array(
    Buffer.from((await json<{ certificate: string }>(`${ks}/v1/certificate/sender`, { headers: { authorization: sender.auth } })).certificate, 'base64'),
  );

  // Pre-seal one distinct envelope per request (untimed). The 4-byte sequence number inside
  // the sealed content is what the receivers use to match deliveries to sends.
  process.stdout.write(`sealing ${REQUESTS} envelopes... `);
  const t0 = performance.now();
  const bodies: Array<{ account: BenchAccount; body: string }> = [];
  for (let i = 0; i < REQUESTS; i++) {
    const account = accounts[1 + (i % (ACCOUNTS - 1))]!;
    const contents = new Uint8Array(160);
    new DataView(contents.buffer).setUint32(0, i);
    const sealed = sealV1({ content: { type: 2, senderCertificate, contents }, senderIdentity: sender.identity, recipientIdentityPublic: account.identity.publicKey });
    // Tag (outside the seal, for the bench's own bookkeeping only) so receivers need not unseal.
    const tagged = new Uint8Array(sealed.length + 4);
    tagged.set(sealed);
    new DataView(tagged.buffer).setUint32(sealed.length, i);
    const content = b64(tagged);
    bodies.push({
      account,
      body: JSON.stringify({ messages: account.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId, content })) }),
    });
  }
  console.log(`${Math.round(performance.now() - t0)} ms (${bodies[0]!.body.length} bytes per request)`);

  // Receivers: every device on a WebSocket, acknowledging in batches.
  const sentAt = new Float64Array(REQUESTS);
  const deliveredCount = new Uint8Array(REQUESTS);
  const latencies: number[] = [];
  let delivered = 0;
  let duplicates = 0;
  let lastDelivery = 0;
  const sockets: WebSocket[] = [];
  for (const account of accounts) {
    for (const d of account.devices) {
      const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/v1/websocket`, { headers: { authorization: `Bearer ${d.token}` } });
      await new Promise((res, rej) => {
        ws.once('open', res);
        ws.once('error', rej);
      });
      let pending: string[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        timer = undefined;
        if (pending.length > 0) ws.send(JSON.stringify({ type: 'ack', ids: pending }));
        pending = [];
      };
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; id?: string; content?: string };
        if (frame.type !== 'envelope') return;
        const now = performance.now();
        const bytes = Buffer.from(frame.content!, 'base64');
        const seq = bytes.readUInt32BE(bytes.length - 4);
        if (deliveredCount[seq]! >= DEVICES) duplicates++;
        else {
          deliveredCount[seq]!++;
          delivered++;
          latencies.push(now - sentAt[seq]!);
          lastDelivery = now;
        }
        pending.push(frame.id!);
        if (pending.length >= 50) flush();
        else timer ??= setTimeout(flush, 2);
      });
      sockets.push(ws);
    }
  }

  // Senders.
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const put = (i: number): Promise<number> =>
    new Promise((resolve) => {
      const { account, body } = bodies[i]!;
      sentAt[i] = performance.now();
      const req = request(
        `${relay.url}/v1/messages/${account.id}`,
        { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'unidentified-access-key': account.accessKey } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const acceptLatencies: number[] = [];
  let accepted = 0;
  let rejected = 0;
  let next = 0;
  const relayCpu0 = cpuSeconds(relay.pid!);
  const benchCpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const status = await put(i);
        acceptLatencies.push(performance.now() - sentAt[i]!);
        if (status === 200) accepted += DEVICES;
        else rejected++;
      }
    }),
  );
  const sendEnd = performance.now();
  const deadline = Date.now() + 30_000;
  while (delivered < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const lost = accepted - delivered;
  const relayCpu = cpuSeconds(relay.pid!) - relayCpu0;
  const benchCpuUsage = process.cpuUsage(benchCpu0);
  const benchCpu = (benchCpuUsage.user + benchCpuUsage.system) / 1e6;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

  latencies.sort((a, b) => a - b);
  acceptLatencies.sort((a, b) => a - b);
  const sendSecs = (sendEnd - start) / 1000;
  const e2eSecs = (lastDelivery - start) / 1000;
  console.log(`relay bench: ${REQUESTS} requests x ${DEVICES} devices, ${ACCOUNTS - 1} recipient accounts, concurrency ${CONCURRENCY}, log level ${values['log-level']}, synchronous=${values.synchronous}`);
  console.log(`  accepted+persisted: ${accepted} envelopes in ${sendSecs.toFixed(2)} s = ${Math.round(accepted / sendSecs)} envelopes/s (${rejected} requests rejected)`);
  console.log(`  PUT latency:        p50 ${pct(acceptLatencies, 50).toFixed(2)} ms, p99 ${pct(acceptLatencies, 99).toFixed(2)} ms`);
  console.log(`  delivered (WS):     ${delivered} envelopes in ${e2eSecs.toFixed(2)} s = ${Math.round(delivered / e2eSecs)} envelopes/s end to end`);
  console.log(`  end-to-end latency: p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms`);
  console.log(`  lost: ${lost}, duplicates: ${duplicates}`);
  console.log(
    `  CPU: relay ${relayCpu.toFixed(2)} s (${Math.round(delivered / relayCpu)} envelopes per relay CPU-second), ` +
      `load generator ${benchCpu.toFixed(2)} s; machine load average ${load}`,
  );

  for (const ws of sockets) ws.close();
  agent.destroy();
  await relay.stop('SIGTERM');
  await keyserver.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(lost === 0 && rejected === 0 ? 0 : 1);
}

void main();
