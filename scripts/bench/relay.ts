/**
 * Relay benchmark: sealed envelopes per second accepted (HTTP 200 means
 * persisted in SQLite), and delivered end to end over WebSocket, on
 * loopback, with p50/p99 latency — and a count of envelopes lost.
 *
 *   npx tsx scripts/bench/relay.ts [--requests 15000] [--concurrency 64]
 *        [--accounts 20] [--log-level info|warn] [--synchronous NORMAL|FULL]
 *        [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--relay-flags "<flags>"]
 *
 * `--relay-flags "<flags>"`: more command-line flags for the relay process.
 * `--postgres`: the relay stores on a fresh PostgreSQL database (created on
 * that server and dropped afterwards, with the access-key cache on, as
 * PostgreSQL deployments run it) instead of its SQLite file.
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
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { KeyServerClient, RelayClient } from '@sealpost/client';
import { buildKeyServer } from '@sealpost/keyserver';
import { deriveAccessKey, generateRelayCredentialKeyPair } from '@sealpost/protocol';
import { fromBase64, toBase64, x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { createServerCertificate, sealV1 } from '@sealpost/protocol/sealed-sender';
import { RelayProcess, freePort } from '@sealpost/devkit/services';
import { cpuSeconds } from '@sealpost/devkit/services';
import { createTestDatabase, TEST_POSTGRES_ENV } from '@sealpost/devkit/postgres';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '15000' },
    concurrency: { type: 'string', default: '64' },
    accounts: { type: 'string', default: '20' },
    'log-level': { type: 'string', default: 'info' },
    synchronous: { type: 'string', default: 'NORMAL' },
    postgres: { type: 'string' },
    'relay-flags': { type: 'string', default: '' },
  },
});
if (values.postgres !== undefined) process.env[TEST_POSTGRES_ENV] = values.postgres;
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ACCOUNTS = Number(values.accounts);
const DEVICES = 2;

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const secret = (): Uint8Array => new Uint8Array(randomBytes(32));

interface BenchDevice {
  deviceId: number;
  registrationId: number;
  token: string;
}
interface BenchAccount {
  id: string;
  /** The key-server client of device 1. */
  primary: KeyServerClient;
  identity: { privateKey: Uint8Array; publicKey: Uint8Array };
  accessKey: string;
  devices: BenchDevice[];
}

/** The key server (in this process) and the relay (a child process), with fresh keys. */
interface Services {
  dir: string;
  keyServerUrl: string;
  keyserver: Awaited<ReturnType<typeof buildKeyServer>>;
  relay: RelayProcess;
  dropDatabase?: () => Promise<void>;
}

async function startServices(): Promise<Services> {
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
  const keyServerUrl = `http://127.0.0.1:${(keyserver.server.address() as { port: number }).port}`;
  const pg = values.postgres === undefined ? undefined : await createTestDatabase('sealpost_relay_bench');
  const storage = pg === undefined ? [] : ['--database-url', pg.url, '--access-key-cache-ttl-ms', '60000'];
  const relay = new RelayProcess(await freePort(), join(dir, 'relay.sqlite'), keyServerUrl, relayKey.publicKey, [
    ...storage,
    ...String(values['relay-flags']).split(' ').filter((f) => f.length > 0),
    '--log-level',
    String(values['log-level']),
    '--synchronous',
    String(values.synchronous),
    '--device-cache-ttl-ms',
    '60000',
    // One load generator is one source: the relay's per-source send budgets would throttle it.
    ...['--source-burst', '0', '--source-bytes-burst', '0', '--recipient-source-burst', '0', '--recipient-source-bytes-burst', '0'],
  ]);
  await relay.start();
  return { dir, keyServerUrl, keyserver, relay, ...(pg === undefined ? {} : { dropDatabase: () => pg.drop() }) };
}

/** Account `a`: identity, a primary and a linked device with relay credentials, an access key. */
async function registerAccount(services: Services, a: number): Promise<BenchAccount> {
  const kp = x25519GenerateKeyPair();
  const identity = { privateKey: kp.privateKey, publicKey: Uint8Array.of(0x05, ...kp.publicKey) };
  const registrationIds = [1 + a, 1000 + a];
  const primarySecret = secret();
  const primary = new KeyServerClient(services.keyServerUrl);
  const { account: id } = await primary.createAccount({ identityKey: identity.publicKey, registrationId: registrationIds[0]!, secret: primarySecret });
  primary.setCredentials({ account: id, device: 1, secret: primarySecret });
  const clients = [primary];
  for (let d = 2; d <= DEVICES; d++) {
    const { code } = await primary.createProvisioningCode();
    const linkedSecret = secret();
    const linked = new KeyServerClient(services.keyServerUrl);
    const { device } = await linked.linkDevice({ provisioningCode: code, registrationId: registrationIds[d - 1]!, secret: linkedSecret });
    linked.setCredentials({ account: id, device, secret: linkedSecret });
    clients.push(linked);
  }
  const devices: BenchDevice[] = [];
  for (const [i, client] of clients.entries()) {
    devices.push({ deviceId: i + 1, registrationId: registrationIds[i]!, token: (await client.relayCredential(services.relay.url)).token });
  }
  const accessKey = deriveAccessKey(secret());
  await new RelayClient(services.relay.url, async () => devices[0]!.token).setAccessKey(id, accessKey);
  return { id, primary, identity, accessKey: toBase64(accessKey), devices };
}

/**
 * One distinct sealed envelope per request, from `sender` (untimed). The
 * 4-byte sequence number appended outside the seal is what the receivers use
 * to match deliveries to sends, so they need not unseal.
 */
async function sealRequests(sender: BenchAccount, recipients: BenchAccount[]): Promise<Array<{ account: BenchAccount; body: string }>> {
  const { certificate: senderCertificate } = await sender.primary.senderCertificate();
  const bodies: Array<{ account: BenchAccount; body: string }> = [];
  for (let i = 0; i < REQUESTS; i++) {
    const account = recipients[i % recipients.length]!;
    const contents = new Uint8Array(160);
    new DataView(contents.buffer).setUint32(0, i);
    const sealed = sealV1({ content: { type: 2, senderCertificate, contents }, senderIdentity: sender.identity, recipientIdentityPublic: account.identity.publicKey });
    const tagged = new Uint8Array(sealed.length + 4);
    tagged.set(sealed);
    new DataView(tagged.buffer).setUint32(sealed.length, i);
    const content = toBase64(tagged);
    bodies.push({
      account,
      body: JSON.stringify({ messages: account.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId, content })) }),
    });
  }
  return bodies;
}

/** What the receivers counted. */
interface Deliveries {
  sentAt: Float64Array;
  latencies: number[];
  delivered: number;
  duplicates: number;
  lastDelivery: number;
  sockets: WebSocket[];
}

/** Every device on a WebSocket, acknowledging in batches of 50 (or after 2 ms). */
async function connectReceivers(relayUrl: string, accounts: BenchAccount[]): Promise<Deliveries> {
  const seen = new Uint8Array(REQUESTS);
  const out: Deliveries = { sentAt: new Float64Array(REQUESTS), latencies: [], delivered: 0, duplicates: 0, lastDelivery: 0, sockets: [] };
  for (const account of accounts) {
    for (const d of account.devices) {
      const ws = new WebSocket(`${relayUrl.replace('http', 'ws')}/v1/websocket`, { headers: { authorization: `Bearer ${d.token}` } });
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
        const bytes = fromBase64(frame.content!);
        const seq = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4);
        if (seen[seq]! >= DEVICES) out.duplicates++;
        else {
          seen[seq]!++;
          out.delivered++;
          out.latencies.push(now - out.sentAt[seq]!);
          out.lastDelivery = now;
        }
        pending.push(frame.id!);
        if (pending.length >= 50) flush();
        else timer ??= setTimeout(flush, 2);
      });
      out.sockets.push(ws);
    }
  }
  return out;
}

/** What the senders counted. */
interface Sends {
  acceptLatencies: number[];
  accepted: number;
  rejected: number;
  start: number;
  end: number;
}

/** CONCURRENCY senders PUT every request over keep-alive connections (timed). */
async function sendAll(relayUrl: string, bodies: Array<{ account: BenchAccount; body: string }>, sentAt: Float64Array): Promise<Sends> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const put = (i: number): Promise<number> =>
    new Promise((resolve) => {
      const { account, body } = bodies[i]!;
      sentAt[i] = performance.now();
      const req = request(
        `${relayUrl}/v1/messages/${account.id}`,
        { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'unidentified-access-key': account.accessKey } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const out: Sends = { acceptLatencies: [], accepted: 0, rejected: 0, start: performance.now(), end: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const status = await put(i);
        out.acceptLatencies.push(performance.now() - sentAt[i]!);
        if (status === 200) out.accepted += DEVICES;
        else out.rejected++;
      }
    }),
  );
  out.end = performance.now();
  agent.destroy();
  return out;
}

/** Waits (up to 30 s) until every accepted envelope has been delivered. */
async function drain(deliveries: Deliveries, accepted: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (deliveries.delivered < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

function report(sends: Sends, deliveries: Deliveries, cpu: { relay: number; bench: number }): void {
  const { latencies } = deliveries;
  latencies.sort((a, b) => a - b);
  sends.acceptLatencies.sort((a, b) => a - b);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const sendSecs = (sends.end - sends.start) / 1000;
  const e2eSecs = (deliveries.lastDelivery - sends.start) / 1000;
  const { delivered } = deliveries;
  const backend = values.postgres === undefined ? `SQLite synchronous=${values.synchronous}` : 'PostgreSQL';
  console.log(`relay bench: ${REQUESTS} requests x ${DEVICES} devices, ${ACCOUNTS - 1} recipient accounts, concurrency ${CONCURRENCY}, log level ${values['log-level']}, ${backend}`);
  console.log(`  accepted+persisted: ${sends.accepted} envelopes in ${sendSecs.toFixed(2)} s = ${Math.round(sends.accepted / sendSecs)} envelopes/s (${sends.rejected} requests rejected)`);
  console.log(`  PUT latency:        p50 ${pct(sends.acceptLatencies, 50).toFixed(2)} ms, p99 ${pct(sends.acceptLatencies, 99).toFixed(2)} ms`);
  console.log(`  delivered (WS):     ${delivered} envelopes in ${e2eSecs.toFixed(2)} s = ${Math.round(delivered / e2eSecs)} envelopes/s end to end`);
  console.log(`  end-to-end latency: p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms`);
  console.log(`  lost: ${sends.accepted - delivered}, duplicates: ${deliveries.duplicates}`);
  console.log(
    `  CPU: relay ${cpu.relay.toFixed(2)} s (${Math.round(delivered / cpu.relay)} envelopes per relay CPU-second), ` +
      `load generator ${cpu.bench.toFixed(2)} s; machine load average ${load}`,
  );
}

async function main(): Promise<void> {
  const services = await startServices();
  try {
    await run(services);
  } catch (e) {
    // A failed run (e.g. a timeout on a loaded machine) still stops the relay and drops its database.
    console.error(e);
    await services.relay.stop('SIGKILL').catch(() => undefined);
    await services.keyserver.close().catch(() => undefined);
    await services.dropDatabase?.().catch(() => undefined);
    rmSync(services.dir, { recursive: true, force: true });
    process.exit(2);
  }
}

async function run(services: Services): Promise<void> {
  const accounts: BenchAccount[] = [];
  for (let a = 0; a < ACCOUNTS; a++) accounts.push(await registerAccount(services, a));

  process.stdout.write(`sealing ${REQUESTS} envelopes... `);
  const t0 = performance.now();
  const bodies = await sealRequests(accounts[0]!, accounts.slice(1));
  console.log(`${Math.round(performance.now() - t0)} ms (${bodies[0]!.body.length} bytes per request)`);

  const deliveries = await connectReceivers(services.relay.url, accounts);
  const relayCpu0 = cpuSeconds(services.relay.pid!);
  const benchCpu0 = process.cpuUsage();
  const sends = await sendAll(services.relay.url, bodies, deliveries.sentAt);
  await drain(deliveries, sends.accepted);
  const benchCpu = process.cpuUsage(benchCpu0);
  report(sends, deliveries, { relay: cpuSeconds(services.relay.pid!) - relayCpu0, bench: (benchCpu.user + benchCpu.system) / 1e6 });

  for (const ws of deliveries.sockets) ws.close();
  await services.relay.stop('SIGTERM');
  await services.keyserver.close();
  await services.dropDatabase?.();
  rmSync(services.dir, { recursive: true, force: true });
  process.exit(sends.accepted === deliveries.delivered && sends.rejected === 0 ? 0 : 1);
}

void main();
