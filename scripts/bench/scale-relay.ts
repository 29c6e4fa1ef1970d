/**
 * The relay half of the scale-out benchmark (scale.ts): envelopes per second
 * from `PUT /v1/messages/:account` to delivery on the recipient's WebSocket,
 * through 1 or 2 relay processes on one database (SQLite file: 1 only).
 *
 * Setup (untimed): a key server in this process, `recipients` accounts of one
 * device each, every device on a WebSocket (with 2 instances, every other
 * device on the second one) that acknowledges each envelope. Timed:
 * `concurrency` senders PUT `envelopes` single-envelope requests over
 * keep-alive connections; with 2 instances the senders alternate instances
 * per round over the recipients, so half of the envelopes are accepted by
 * the instance that does not hold the recipient's socket and reach it
 * through a LISTEN/NOTIFY notice. Envelopes are 256 bytes of opaque
 * sealed-looking content (the relay checks only the version byte).
 *
 * Then the delivery latency of single envelopes, one at a time: PUT to the
 * first instance, pushed by the last (the cross-instance hop with 2).
 */
import { Agent, request } from 'node:http';
import { cpuSeconds, envelopeNumber, numberedEnvelope, percentile, RoamingReceiver, startRelayCluster, type ClusterAccount, type RelayCluster } from '@sealpost/devkit/services';
import { toBase64 } from '@sealpost/protocol/primitives';

/** One load generator is one client address: the relay's per-source send budgets would throttle it. */
const NO_BUDGETS = ['--source-burst', '0', '--source-bytes-burst', '0', '--recipient-source-burst', '0', '--recipient-source-bytes-burst', '0'];

/** Throughput of one case. */
export interface RelayThroughput {
  accepted: number;
  refused: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  putP50: number;
  putP99: number;
  e2eP50: number;
  e2eP99: number;
  lost: number;
  duplicates: number;
  /** Relay CPU seconds per 1,000 delivered envelopes (all instances). */
  cpuPerThousand: number;
}

/** Single-envelope delivery latency (PUT issued → pushed), ms. */
export interface DeliveryLatency {
  sample: number;
  p50: number;
  p99: number;
  max: number;
}

export interface RelayCaseResult {
  throughput: RelayThroughput;
  latency: DeliveryLatency;
}

/** Options of a relay case. */
export interface RelayCaseOptions {
  envelopes: number;
  concurrency: number;
  recipients: number;
  latencySample: number;
}

function put(agent: Agent, base: string, account: ClusterAccount, n: number): Promise<number> {
  const body = JSON.stringify({ messages: [{ deviceId: 1, registrationId: account.devices[0]!.registrationId, content: toBase64(numberedEnvelope(n, 256)) }] });
  return new Promise((resolve) => {
    const req = request(
      `${base}/v1/messages/${account.id}`,
      { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'unidentified-access-key': toBase64(account.accessKey) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function throughput(cluster: RelayCluster, options: RelayCaseOptions): Promise<RelayThroughput> {
  const instances = cluster.relays.length;
  const accounts = await Promise.all(Array.from({ length: options.recipients }, () => cluster.newAccount(1)));
  const sentAt = new Float64Array(options.envelopes);
  const seen = new Uint8Array(options.envelopes);
  const latencies: number[] = [];
  let delivered = 0;
  let duplicates = 0;
  let lastDelivery = 0;
  const urls = cluster.relays.map((r) => r.url);
  const receivers = await Promise.all(
    accounts.map((acc, i) =>
      RoamingReceiver.open({
        urls,
        first: i % instances,
        credential: acc.devices[0]!.token,
        onEnvelope: (e) => {
          const n = envelopeNumber(e.content);
          if (n >= options.envelopes) return;
          if (seen[n] === 1) {
            duplicates++;
            return;
          }
          seen[n] = 1;
          delivered++;
          latencies.push(e.at - sentAt[n]!);
          lastDelivery = e.at;
        },
      }),
    ),
  );
  await Promise.all(receivers.map((r) => r.waitFor(() => r.queueEmpty)));
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: options.concurrency }));
  const putLatencies: number[] = [];
  let accepted = 0;
  let refused = 0;
  let next = 0;
  const cpu0 = cluster.relays.reduce((s, r) => s + cpuSeconds(r.pid!), 0);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.envelopes) {
        const n = next++;
        const via = Math.floor(n / options.recipients) % instances;
        sentAt[n] = performance.now();
        const status = await put(agents[via]!, urls[via]!, accounts[n % options.recipients]!, n);
        putLatencies.push(performance.now() - sentAt[n]!);
        if (status === 200) accepted++;
        else refused++;
      }
    }),
  );
  const sendEnd = performance.now();
  const deadline = Date.now() + 30_000;
  while (delivered < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const cpu = cluster.relays.reduce((s, r) => s + cpuSeconds(r.pid!), 0) - cpu0;
  await Promise.all(receivers.map((r) => r.close()));
  for (const a of agents) a.destroy();
  putLatencies.sort((x, y) => x - y);
  latencies.sort((x, y) => x - y);
  return {
    accepted,
    refused,
    acceptedPerSecond: accepted / ((sendEnd - start) / 1000),
    deliveredPerSecond: delivered / ((lastDelivery - start) / 1000),
    putP50: percentile(putLatencies, 50),
    putP99: percentile(putLatencies, 99),
    e2eP50: percentile(latencies, 50),
    e2eP99: percentile(latencies, 99),
    lost: accepted - delivered,
    duplicates,
    cpuPerThousand: (cpu / Math.max(1, delivered)) * 1000,
  };
}

/** PUT through the first instance, one at a time; the device is on the last instance. */
async function latency(cluster: RelayCluster, sample: number): Promise<DeliveryLatency> {
  const account = await cluster.newAccount(1);
  const receiver = await RoamingReceiver.open({ urls: [cluster.relays.at(-1)!.url], credential: account.devices[0]!.token });
  await receiver.waitFor(() => receiver.queueEmpty);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const warmUp = 20;
  const times: number[] = [];
  for (let n = 0; n < sample + warmUp; n++) {
    const t0 = performance.now();
    if ((await put(agent, cluster.relays[0]!.url, account, n)) !== 200) throw new Error('latency send refused');
    await receiver.waitFor(() => receiver.arrived.length === n + 1, 5_000);
    if (n >= warmUp) times.push(receiver.arrived[n]!.at - t0);
  }
  agent.destroy();
  await receiver.close();
  times.sort((x, y) => x - y);
  return { sample, p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1)! };
}

/** Starts `instances` relays on `databaseUrl` (or one on SQLite), measures throughput and latency, stops them. */
export async function benchRelay(databaseUrl: string | undefined, instances: number, options: RelayCaseOptions): Promise<RelayCaseResult> {
  const flags = [...NO_BUDGETS, '--device-cache-ttl-ms', '60000', ...(databaseUrl === undefined ? [] : ['--access-key-cache-ttl-ms', '60000'])];
  const cluster = await startRelayCluster({ ...(databaseUrl === undefined ? {} : { databaseUrl }), instances: Array.from({ length: instances }, () => flags) });
  try {
    return { throughput: await throughput(cluster, options), latency: await latency(cluster, options.latencySample) };
  } finally {
    await cluster.close();
  }
}

