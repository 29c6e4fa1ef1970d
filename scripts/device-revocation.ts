/**
 * Measures how fast a removed device loses relay access, and what the
 * per-request device check costs the key server:
 *
 *   npx tsx scripts/device-revocation.ts [--trials 20] [--accounts 50] [--seconds 5]
 *
 * 1. `trials` times: an account with a linked device whose WebSocket is open;
 *    the primary removes it at the key server; prints the time until the
 *    socket is closed (4403) and until its (unexpired) token is refused on a
 *    poll (polled every 20 ms).
 * 2. `accounts` accounts, each with an open WebSocket and a device polling
 *    every 100 ms, for `seconds`: prints the device-list fetches the relay
 *    made per second and the poll latency (p50/p99).
 *
 * Everything runs on loopback in this process (dev kit's startLocalServices,
 * default relay settings: authorization TTL 1 s, revalidation every 1 s).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { basicAuthHeader } from '@sealpost/keyserver';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { HttpDeviceDirectory, type DeviceDirectory } from '@sealpost/relay';
import { startLocalServices } from '@sealpost/devkit/services';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '20' }, accounts: { type: 'string', default: '50' }, seconds: { type: 'string', default: '5' } } });
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

let inner: DeviceDirectory | undefined;
let fetches = 0;
const counting: DeviceDirectory = {
  devices: (accountId, options) => {
    fetches++;
    return inner!.devices(accountId, options);
  },
};
const services = await startLocalServices({ relay: { devices: counting } });
inner = new HttpDeviceDirectory(services.keyServerUrl);

async function ks(method: string, path: string, auth?: string, body?: unknown): Promise<any> {
  const res = await fetch(services.keyServerUrl + path, {
    method,
    headers: { ...(auth === undefined ? {} : { authorization: auth }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text.length > 0 ? JSON.parse(text) : undefined;
}

async function account(): Promise<{ primary: string; laptop: string; laptopId: number; accountId: string }> {
  const s1 = randomBytes(32);
  const a = await ks('POST', '/v1/accounts', undefined, { identityKey: b64(generateIdentityKeyPair().publicKey), registrationId: 1 + (s1[0]! % 100), deviceSecret: b64(s1) });
  const primary = basicAuthHeader(a.accountId, 1, s1);
  const { code } = await ks('POST', '/v1/devices/provisioning-codes', primary);
  const s2 = randomBytes(32);
  const l = await ks('POST', '/v1/devices/link', undefined, { provisioningCode: code, registrationId: 200, deviceSecret: b64(s2) });
  return { primary, laptop: basicAuthHeader(a.accountId, l.deviceId, s2), laptopId: l.deviceId, accountId: a.accountId };
}

const token = async (auth: string): Promise<string> => (await ks('GET', `/v1/credentials/relay?audience=${encodeURIComponent(services.relayUrl)}`, auth)).token;
const open = (t: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${services.relayUrl.replace(/^http/, 'ws')}/v1/websocket`, { headers: { authorization: `Bearer ${t}` } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
const poll = (t: string): Promise<number> => fetch(`${services.relayUrl}/v1/messages`, { headers: { authorization: `Bearer ${t}` } }).then(async (r) => (await r.arrayBuffer(), r.status));
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

// 1. Removal latency.
const closeMs: number[] = [];
const refuseMs: number[] = [];
for (let i = 0; i < Number(values.trials); i++) {
  const a = await account();
  const t = await token(a.laptop);
  const ws = await open(t);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const start = performance.now();
  await ks('DELETE', `/v1/devices/${a.laptopId}`, a.primary);
  const refused = (async () => {
    while ((await poll(t)) !== 401) await new Promise((r) => setTimeout(r, 20));
    return performance.now() - start;
  })();
  const code = await closed;
  closeMs.push(performance.now() - start);
  refuseMs.push(await refused);
  if (code !== 4403) throw new Error(`socket closed with ${code}`);
}
console.log(`removal -> WebSocket closed (4403): p50 ${pct(closeMs, 50).toFixed(0)} ms, max ${Math.max(...closeMs).toFixed(0)} ms (${closeMs.length} trials)`);
console.log(`removal -> token refused on poll:  p50 ${pct(refuseMs, 50).toFixed(0)} ms, max ${Math.max(...refuseMs).toFixed(0)} ms`);

// 2. Steady-state cost.
const n = Number(values.accounts);
const devices = await Promise.all(Array.from({ length: n }, async () => token((await account()).primary)));
const sockets = await Promise.all(devices.map(open));
const latencies: number[] = [];
fetches = 0;
const until = performance.now() + Number(values.seconds) * 1000;
await Promise.all(
  devices.map(async (t) => {
    while (performance.now() < until) {
      const s = performance.now();
      if ((await poll(t)) !== 200) throw new Error('poll refused');
      latencies.push(performance.now() - s);
      await new Promise((r) => setTimeout(r, 100));
    }
  }),
);
console.log(
  `${n} accounts (open socket + poll every 100 ms), ${values.seconds} s: ${(fetches / Number(values.seconds)).toFixed(1)} device-list fetches/s ` +
    `(${(fetches / Number(values.seconds) / n).toFixed(2)} per account per s); ${latencies.length} polls, p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms`,
);
for (const s of sockets) s.close();
await services.close();
