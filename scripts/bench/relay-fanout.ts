/**
 * Issue 13: the relay's multi-recipient storage. A sealed sender v2
 * SentMessage to N recipients (one device each, 159-byte body, as in the
 * design brief's libsignal measurement) is split and queued the way
 * `PUT /v1/messages/multi_recipient` does it — the shared payload once plus a
 * 49-byte view per device — and, in the same run, the way it was done before
 * (a full ReceivedMessage copy per device, `splitV2ForRecipient`), as the peer.
 *
 *   npx tsx scripts/bench/relay-fanout.ts [--recipients 1000] [--rounds 30]
 *
 * Timed: parse + split + `enqueue` into a file-backed SqliteEnvelopeStore
 * (WAL, synchronous NORMAL; the promise resolves after commit). With
 * SEALPOST_TEST_POSTGRES_URL set, the same on PostgreSQL (a fresh database).
 * Also timed, for context: the whole HTTP request against an in-process relay
 * (access-key and device-list checks for every recipient, then the same store).
 * Storage: content bytes stored and database growth for one send, against
 * the target 1.2 × (shared + 68·N).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deriveAccessKey, generateRelayCredentialKeyPair, relayCredentialVerifier, signRelayCredential } from '@sealpost/protocol';
import { x25519GenerateKeyPair } from '@sealpost/protocol/primitives';
import { parseV2SentMessage, sealV2MultiRecipient, splitV2ForRecipient, v2RecipientHeader, v2SharedPayload } from '@sealpost/protocol/sealed-sender';
import { createTestDatabase, testPostgresUrl } from '@sealpost/devkit/postgres';
import { buildRelay, PostgresEnvelopeStore, SqliteEnvelopeStore, type EnvelopeStore, type NewEnvelope } from '@sealpost/relay';
import { databaseBytes, storeStats } from '../../services/relay/test/support/test-storage.ts';
import { machineDescription } from './report.ts';

const { values } = parseArgs({ options: { recipients: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '30' } } });
const N = Number(values.recipients);
const ROUNDS = Number(values.rounds);

const accounts: string[] = Array.from({ length: N }, () => randomUUID());
const kp = () => x25519GenerateKeyPair();
const sent = sealV2MultiRecipient({
  content: { type: 7, senderCertificate: new Uint8Array(randomBytes(100)), contents: new Uint8Array(randomBytes(159)) },
  senderIdentity: kp(),
  recipients: accounts.map((id, i) => ({ serviceId: id, identityKey: kp().publicKey, devices: [{ deviceId: 1, registrationId: 1 + (i % 16000) }] })),
});

/** What the route queues: one shared payload, a view per device. */
function sharedEnvelopes(bytes: Uint8Array): NewEnvelope[] {
  const parsed = parseV2SentMessage(bytes);
  const shared = { bytes: v2SharedPayload(bytes, parsed) };
  return parsed.recipients.flatMap((r) => {
    const header = v2RecipientHeader(bytes, r);
    return r.devices.map((d) => ({ accountId: r.serviceId, deviceId: d.deviceId, content: header, shared }));
  });
}

/** The previous way: a full ReceivedMessage per recipient, copied into every device's row. */
function copiedEnvelopes(bytes: Uint8Array): NewEnvelope[] {
  const parsed = parseV2SentMessage(bytes);
  return parsed.recipients.flatMap((r) => {
    const received = splitV2ForRecipient(bytes, r.serviceId, parsed);
    return r.devices.map((d) => ({ accountId: r.serviceId, deviceId: d.deviceId, content: received }));
  });
}

/** Wall times and this process's CPU times (ms) of the timed rounds, each way. */
interface Timing {
  shared: number[];
  copied: number[];
  sharedCpu: number[];
  copiedCpu: number[];
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!, min: s[0]! };
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Timed rounds, the two ways interleaved; every round's envelopes are deleted again (untimed) so queues stay small. */
async function timeStore(store: EnvelopeStore): Promise<Timing> {
  const out: Timing = { shared: [], copied: [], sharedCpu: [], copiedCpu: [] };
  for (let i = 0; i < ROUNDS + 3; i++) {
    for (const way of ['shared', 'copied'] as const) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const rows = await store.enqueue(way === 'shared' ? sharedEnvelopes(sent) : copiedEnvelopes(sent), Date.now(), 3600_000, 10_000);
      const dt = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      // The first rounds warm up.
      if (i >= 3) {
        out[way].push(dt);
        out[`${way}Cpu`].push((cpu.user + cpu.system) / 1000);
      }
      if (rows.length !== N) throw new Error(`queued ${rows.length}`);
      await store.deleteExpired(Number.MAX_SAFE_INTEGER); // untimed: empty the queues again
    }
  }
  return out;
}

const sharedSize = sent.length - parseV2SentMessage(sent).sharedOffset;
const bound = 1.2 * (sharedSize + 68 * N);

/** Content bytes and database growth of one send, each way, on fresh databases. */
async function storage(backend: string, open: () => Promise<{ store: EnvelopeStore; where: { dbPath: string; databaseUrl?: string }; done: () => Promise<void> }>): Promise<string[]> {
  const lines: string[] = [];
  for (const way of ['shared', 'copied'] as const) {
    const { store, where, done } = await open();
    try {
      await store.enqueue([{ accountId: 'warm', deviceId: 1, content: Uint8Array.of(0x11) }], Date.now(), 3600_000, 10);
      const [s0, f0] = [await storeStats(where), await databaseBytes(where)];
      await store.enqueue(way === 'shared' ? sharedEnvelopes(sent) : copiedEnvelopes(sent), Date.now(), 3600_000, 10_000);
      const [s1, f1] = [await storeStats(where), await databaseBytes(where)];
      const content = s1.envelopeBytes + s1.sharedBytes - (s0.envelopeBytes + s0.sharedBytes);
      lines.push(storageRow(`${backend}, ${way === 'shared' ? 'shared once (now)' : 'copy per device (before)'}`, content, f1 - f0));
    } finally {
      await store.close();
      await done();
    }
  }
  return lines;
}

async function sqliteRun(): Promise<{ timing: string; storage: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-fanout-'));
  try {
    const timed = new SqliteEnvelopeStore({ path: join(dir, 'timing.sqlite') });
    const timing = row('SQLite', await timeStore(timed));
    await timed.close();
    let n = 0;
    const rows = await storage('SQLite', async () => {
      const path = join(dir, `storage-${n++}.sqlite`);
      return { store: new SqliteEnvelopeStore({ path }), where: { dbPath: path }, done: async () => undefined };
    });
    return { timing, storage: rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresRun(): Promise<{ timing: string; storage: string[] }> {
  if (testPostgresUrl() === undefined) return { timing: '| split + store, PostgreSQL | skipped (SEALPOST_TEST_POSTGRES_URL not set) | | | | |', storage: [] };
  const db = await createTestDatabase('sealpost_bench');
  let timing: string;
  try {
    const store = await PostgresEnvelopeStore.open({ url: db.url });
    timing = row('PostgreSQL', await timeStore(store));
    await store.close();
  } finally {
    await db.drop();
  }
  const rows = await storage('PostgreSQL', async () => {
    const fresh = await createTestDatabase('sealpost_bench');
    return { store: await PostgresEnvelopeStore.open({ url: fresh.url }), where: { dbPath: '', databaseUrl: fresh.url }, done: () => fresh.drop() };
  });
  return { timing, storage: rows };
}

/** The whole request against an in-process relay on a SQLite file or PostgreSQL (access keys and device lists checked for every recipient). */
async function httpRun(backend: 'SQLite' | 'PostgreSQL'): Promise<string> {
  if (backend === 'PostgreSQL' && testPostgresUrl() === undefined) return '| HTTP PUT, PostgreSQL | skipped | | | | |';
  const dir = mkdtempSync(join(tmpdir(), 'relay-fanout-http-'));
  const db = backend === 'PostgreSQL' ? await createTestDatabase('sealpost_bench') : undefined;
  const { privateKey, publicKey } = generateRelayCredentialKeyPair();
  const directory = new Map(accounts.map((id, i) => [id, [{ deviceId: 1, registrationId: 1 + (i % 16000) }]]));
  const app = await buildRelay({
    verifyCredential: relayCredentialVerifier(publicKey),
    audience: 'http://relay.bench',
    devices: { devices: async (id) => directory.get(id) },
    dbPath: join(dir, 'relay.sqlite'),
    ...(db === undefined ? {} : { database: { url: db.url } }),
    log: { level: 'silent' },
    expirySweepMs: 0,
    limits: { recipientSourceBurst: 0, sourceBurst: 0, sourceBytesBurst: 0, recipientSourceBytesBurst: 0 },
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const keys: Record<string, string> = {};
    for (const id of accounts) {
      const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
      keys[id] = Buffer.from(key).toString('base64');
      const token = signRelayCredential({ accountId: id, deviceId: 1, registrationId: directory.get(id)![0]!.registrationId, expiresAt: Date.now() + 3600_000, audience: 'http://relay.bench' }, privateKey);
      const r = await fetch(`${base}/v1/accounts/${id}/access-key`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ accessKey: keys[id] }) });
      if (r.status !== 204) throw new Error(`access key: ${r.status} ${await r.text()}`);
    }
    const body = JSON.stringify({ sentMessage: Buffer.from(sent).toString('base64'), accessKeys: keys });
    const times: number[] = [];
    for (let i = 0; i < ROUNDS + 3; i++) {
      const t0 = performance.now();
      const r = await fetch(`${base}/v1/messages/multi_recipient`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`multi_recipient: ${r.status} ${text}`);
      if (i >= 3) times.push(performance.now() - t0);
    }
    const t = stats(times);
    return `| HTTP PUT /v1/messages/multi_recipient, ${backend} (in-process relay, every check) | ${ms(t.median)} | ${ms(t.p90)} | ${ms(t.min)} | — | — |`;
  } finally {
    await app.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(backend: string, t: Timing): string {
  const s = stats(t.shared);
  const c = stats(t.copied);
  return `| split + store, ${backend} | ${ms(s.median)} (${ms(stats(t.sharedCpu).median)} CPU here) | ${ms(s.p90)} | ${ms(s.min)} | ${ms(c.median)} (${ms(stats(t.copiedCpu).median)} CPU here) | ${(c.median / s.median).toFixed(2)}× |`;
}

function storageRow(what: string, content: number, file: number): string {
  return `| ${what} | ${content.toLocaleString('en')} B (${(content / bound).toFixed(2)} of bound) | ${file.toLocaleString('en')} B (${(file / bound).toFixed(2)} of bound) |`;
}

const sqlite = await sqliteRun();
const postgres = await postgresRun();
const http = [await httpRun('SQLite'), await httpRun('PostgreSQL')];
const out = [
  ...machineDescription().filter((l) => !l.startsWith('rounds:')).map((l) => `- ${l}`),
  `- ${N} recipients × 1 device; SentMessage ${sent.length.toLocaleString('en')} B; shared payload ${sharedSize} B; bound 1.2 × (shared + 68·N) = ${Math.round(bound).toLocaleString('en')} B; ${ROUNDS} rounds`,
  '',
  '| timed (1000 recipients) | median | p90 | min | copy per device (before), median | before / now |',
  '|---|---|---|---|---|---|',
  sqlite.timing,
  postgres.timing,
  ...http,
  '',
  '| one send stored | content bytes | database growth |',
  '|---|---|---|',
  ...sqlite.storage,
  ...postgres.storage,
];
process.stdout.write(`${out.join('\n')}\n`);
