/**
 * Key-transparency server benchmark (issue 15): sequencer throughput, index
 * rebuild time, search throughput over HTTP and response size, on a log
 * of 100,000 accounts.
 *
 *   npx tsx scripts/bench/kt-server.ts [--accounts 100000] [--entries 100000] [--real 400] [--threads 2] [--seconds 10]
 *
 * The 100,000 accounts: VRF proving them all would take minutes, so the
 * database is filled directly with `--accounts` prefix-tree leaves whose
 * search keys are random 32-byte strings (VRF outputs are uniformly random
 * anyway, so the tree has the same shape) and real commitments, all in
 * entry 0, followed by `--entries` − 1 heartbeat entries (same prefix
 * root, as the sequencer writes them) and a signed checkpoint. Then:
 *   1. rebuild: KtLog.open over that database (leaf hashes, bulk prefix tree);
 *   2. sequencer: `--real` accounts with real VRF proofs, enqueued at once,
 *      inline and with `--threads` proving workers;
 *   3. searches: the answer computed in process (no HTTP), then a key
 *      server on that database, autocannon (in this process) POSTing
 *      /v1/kt/search for the real labels (next-version proofs cached first);
 *      one answer is verified with keytrans and its size reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import {
  MemoryLeafStore,
  PrefixTree,
  accountLabel,
  computeCommitment,
  encodeIdentityValue,
  encodeLogEntry,
  ed25519NoteSigner,
  parseCheckpoint,
  parseNote,
  signCheckpoint,
  treeRoot,
  uuidString,
  verifySearchProof,
  vrfProve,
  vrfPublicKey,
} from '../../packages/keytrans/src/index.ts';
import { fromBase64, randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { SqliteKeyStore, buildKeyServer } from '../../services/keyserver/src/index.ts';
import { KtLog, type KtLogSettings } from '../../services/keyserver/src/kt/kt-log.ts';
import { ktOriginSuffix } from '../../services/keyserver/src/kt/kt-config.ts';
import { SqliteKtStore } from '../../services/keyserver/src/kt/sqlite-kt-store.ts';
import { searchLabel } from '../../services/keyserver/src/kt/kt-search.ts';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '100000' },
    entries: { type: 'string', default: '100000' },
    real: { type: 'string', default: '400' },
    threads: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
  },
});
const ACCOUNTS = Number(values.accounts);
const ENTRIES = Math.max(1, Number(values.entries));
const REAL = Number(values.real);
const THREADS = Number(values.threads);
const SECONDS = Number(values.seconds);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const ms = (t: number) => (performance.now() - t).toFixed(0);

const dir = mkdtempSync(join(tmpdir(), 'kt-bench-'));
const path = join(dir, 'keys.db');
const vrfSecretKey = randomBytes(32);
const logNoteKey = randomBytes(32);
const settings: KtLogSettings = {
  vrfSecretKey,
  logNoteKey,
  origin: `bench.example/sealpost-kt/${ktOriginSuffix(vrfSecretKey, logNoteKey)}`,
  batchMs: 200,
  settleTimeoutMs: 600_000,
};
console.log(`kt-server bench ${new Date().toISOString()} — ${ACCOUNTS} filler accounts, ${ENTRIES} entries, ${REAL} real accounts; load average ${load()}`);

// The unit cost that bounds the sequencer: one ECVRF proof per new account.
let t = performance.now();
for (let i = 0; i < 20; i++) vrfProve(vrfSecretKey, Uint8Array.of(i));
console.log(`ECVRF prove (noble, this thread): ${((performance.now() - t) / 20).toFixed(1)} ms each; load ${load()}`);

// --- fill the database -------------------------------------------------------
t = performance.now();
{
  const ks = new SqliteKeyStore(path);
  const db = ks.db;
  const insert = db.prepare('INSERT INTO kt_versions (label, version, position, opening, value, vrf_proof, search_key, commitment) VALUES (?, 0, 0, ?, ?, ?, ?, ?)');
  const leaves: { key: Uint8Array; commitment: Uint8Array }[] = [];
  db.transaction(() => {
    for (let i = 0; i < ACCOUNTS; i++) {
      const label = accountLabel(uuidString(randomBytes(16)));
      const value = encodeIdentityValue(Uint8Array.of(0x05, ...randomBytes(32)));
      const opening = randomBytes(16);
      const key = randomBytes(32);
      const commitment = computeCommitment(opening, label, 0, value);
      leaves.push({ key, commitment });
      insert.run(label, opening, value, randomBytes(80), key, commitment);
    }
  })();
  const root = PrefixTree.fromEntries(leaves).root;
  const log = new MemoryLeafStore();
  const start = Date.now() - ENTRIES * 10;
  const insertEntry = db.prepare('INSERT INTO kt_entries (position, timestamp_ms, prefix_root) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let p = 0; p < ENTRIES; p++) {
      const entry = { timestamp: start + p * 10, prefixRoot: root };
      insertEntry.run(p, entry.timestamp, root);
      log.append(encodeLogEntry(entry));
    }
  })();
  const note = signCheckpoint({ origin: settings.origin, size: ENTRIES, rootHash: treeRoot(log), extensions: [] }, ed25519NoteSigner(settings.origin, logNoteKey));
  db.prepare('INSERT INTO kt_checkpoints (size, note) VALUES (?, ?)').run(ENTRIES, note);
  await ks.close();
}
console.log(`filled the database in ${ms(t)} ms`);

// --- 1. rebuild ---------------------------------------------------------------
const labels = Array.from({ length: REAL }, () => accountLabel(uuidString(randomBytes(16))));
for (const threads of [0, THREADS]) {
  const ks = new SqliteKeyStore(path);
  t = performance.now();
  const log = await KtLog.open({ ...settings, vrfThreads: threads, store: new SqliteKtStore(ks.db) });
  console.log(`rebuild (open) with ${log.size} entries, ${ACCOUNTS + (threads === 0 ? 0 : REAL / 2 + 1)} leaves: ${ms(t)} ms; load ${load()}`);
  // --- 2. sequencer -----------------------------------------------------------
  const mine = threads === 0 ? labels.slice(0, REAL / 2) : labels.slice(REAL / 2);
  // Warm-up (every worker's start-up, JIT), not counted: one batch big enough to reach each worker.
  await log.enqueue(Array.from({ length: 2 * Math.max(1, threads) }, () => ({ label: accountLabel(uuidString(randomBytes(16))), value: encodeIdentityValue(Uint8Array.of(0x05, ...randomBytes(32))) })));
  t = performance.now();
  const settled = await Promise.all(mine.map((label) => log.enqueue([{ label, value: encodeIdentityValue(Uint8Array.of(0x05, ...randomBytes(32))) }])));
  const elapsed = performance.now() - t;
  const entries = new Set(settled.map((s) => s.position)).size;
  console.log(
    `sequencer, ${threads === 0 ? 'inline VRF' : `${threads} VRF worker threads`}: ${mine.length} new accounts in ${elapsed.toFixed(0)} ms = ${((mine.length / elapsed) * 1000).toFixed(0)} accounts/s, ${entries} entries; load ${load()}`,
  );
  if (threads !== 0) {
    // In-process search cost (no HTTP), next-version proofs cached by a first pass.
    for (const label of mine) await searchLabel(log, label, undefined);
    t = performance.now();
    const rounds = 2000;
    for (let i = 0; i < rounds; i++) await searchLabel(log, mine[i % mine.length]!, undefined);
    const each = (performance.now() - t) / rounds;
    console.log(`search answer in process (no HTTP): ${each.toFixed(2)} ms each = ${(1000 / each).toFixed(0)}/s on one thread; load ${load()}`);
  }
  await log.close();
  await ks.close();
}

// --- 3. searches over HTTP -----------------------------------------------------
const app = await buildKeyServer({ dbPath: path, docs: false, keyTransparency: settings, settings: { ktSearchRateLimit: false } });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
const bodies = labels.map((label) => JSON.stringify({ label: toBase64(label) }));
let bytes = 0;
t = performance.now();
for (const body of bodies) {
  const res = await fetch(`${url}/v1/kt/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`search ${res.status} ${text}`);
  bytes = Math.max(bytes, Buffer.byteLength(text));
}
console.log(`first search of each of ${bodies.length} labels (proves and caches the next-version VRF proof): ${(( performance.now() - t) / bodies.length).toFixed(1)} ms each`);
const sample = (await (await fetch(`${url}/v1/kt/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[0]! })).json()) as {
  checkpoint: string;
  proof: string;
};
const checkpoint = parseCheckpoint(parseNote(sample.checkpoint).text);
const verified = verifySearchProof({ checkpoint, vrfPublicKey: vrfPublicKey(vrfSecretKey), label: labels[0]!, proof: fromBase64(sample.proof), now: Date.now() });
console.log(`response: ${bytes} bytes of JSON at most (proof ${fromBase64(sample.proof).length} bytes binary), verified version ${verified.version} at log size ${checkpoint.size}`);
const requests = bodies.map((body) => ({ method: 'POST', path: '/v1/kt/search', headers: { 'content-type': 'application/json' }, body }));
const result = await autocannon({ url, connections: 10, duration: SECONDS, requests } as unknown as Parameters<typeof autocannon>[0]);
console.log(
  `searches over HTTP (autocannon, 10 connections, ${SECONDS} s): ${result.requests.average.toFixed(0)} req/s average, latency p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors; load ${load()}`,
);
await app.close();
rmSync(dir, { recursive: true, force: true });
