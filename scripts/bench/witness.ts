/**
 * Witness round trip (design §5 item 18: ≤ 50 ms): one add-checkpoint over
 * loopback HTTP, from sending the request to having the cosignature line —
 * parse, log-signature check, consistency proof, the store transaction
 * (compare-and-swap on size), the cosignature.
 *
 *   npx tsx scripts/bench/witness.ts [--requests 500] [--log-size 100000] [--grow 64]
 *   SEALPOST_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench/witness.ts   # also on PostgreSQL
 *
 * The log is an in-memory RFC 6962 tree (@sealpost/keytrans MemoryLeafStore)
 * of `--log-size` leaves that grows by `--grow` leaves between checkpoints, so
 * every request carries a real consistency proof (~log2 n lines). Bodies are
 * made before the clock starts; requests go one at a time over one keep-alive
 * connection (what a log's submitter does). The witness runs in this
 * process on a SQLite file in a temporary directory (WAL, as in production)
 * and, with a PostgreSQL server named, on a fresh database. The load average
 * is printed beside the numbers: the machine is shared. A third line times
 * the witness's own step (`Witness.addCheckpoint` on SQLite) without HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryLeafStore, consistencyProof, ed25519NoteSigner, signCheckpoint, treeRoot } from '../../packages/keytrans/src/index.ts';
import { randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { buildWitnessServer, parseAddCheckpoint, WitnessStore } from '../../services/witness/src/index.ts';
import { createTestDatabase, testPostgresUrl } from '../../tools/devkit/src/postgres.ts';
import { percentile } from '../../tools/devkit/src/measure.ts';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '500' }, 'log-size': { type: 'string', default: '100000' }, grow: { type: 'string', default: '64' }, warmup: { type: 'string', default: '30' } },
});
const requests = Number(values.requests);
const warmup = Number(values.warmup);
const logSize = Number(values['log-size']);
const grow = Number(values.grow);
const origin = 'bench.sealpost.test/sealpost-kt/0011223344556677';

function makeLog() {
  const store = new MemoryLeafStore();
  for (let i = 0; i < logSize; i++) store.append(randomBytes(40));
  return store;
}

/** The add-checkpoint bodies, first (old 0) then each from the previous size. */
function bodies(store: MemoryLeafStore, signer: ReturnType<typeof ed25519NoteSigner>, count: number): string[] {
  const out: string[] = [];
  let old = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) for (let j = 0; j < grow; j++) store.append(randomBytes(40));
    const size = store.size;
    const note = signCheckpoint({ origin, size, rootHash: treeRoot(store, size), extensions: [] }, signer);
    const proof = old === 0 ? [] : consistencyProof(store, old, size).map((h) => toBase64(h));
    out.push(`old ${old}\n${proof.map((l) => `${l}\n`).join('')}\n${note}`);
    old = size;
  }
  return out;
}

async function measure(label: string, storeOptions: { store?: WitnessStore; databaseUrl?: string }, http = true): Promise<void> {
  const signer = ed25519NoteSigner(origin, randomBytes(32));
  const log = makeLog();
  const all = bodies(log, signer, warmup + requests + 1);
  const app = await buildWitnessServer({ name: 'bench.sealpost.test/w1', secretKey: randomBytes(32), logVkeys: [signer.vkey], addCheckpointRateLimit: false, ...storeOptions });
  const url = http ? await app.listen({ host: '127.0.0.1', port: 0 }) : '';
  const times: number[] = [];
  const loadBefore = loadavg();
  try {
    for (let i = 0; i < all.length; i++) {
      const started = performance.now();
      if (http) {
        const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: all[i]! });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`request ${i}: ${res.status} ${text}`);
      } else {
        // The witness's own work (parse, verify, store transaction, cosign) without HTTP.
        await app.witness.addCheckpoint(parseAddCheckpoint(all[i]!));
      }
      const ms = performance.now() - started;
      if (i > warmup) times.push(ms);
    }
  } finally {
    await app.close();
  }
  const loadAfter = loadavg();
  times.sort((a, b) => a - b);
  const proofLines = all.at(-1)!.split('\n\n')[0]!.split('\n').length - 1;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(
    `${label.padEnd(10)} ${times.length} add-checkpoints, log ${log.size.toLocaleString('en')} leaves, +${grow} each, ${proofLines} proof lines: ` +
      `p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, mean ${mean.toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms ` +
      `(load ${loadBefore.map((l) => l.toFixed(2)).join(' ')} → ${loadAfter.map((l) => l.toFixed(2)).join(' ')})`,
  );
}

console.log(`witness round trip, ${new Date().toISOString()}, node ${process.version}`);
const tmp = mkdtempSync(join(tmpdir(), 'witness-bench-'));
try {
  const store = new WitnessStore(join(tmp, 'w.sqlite'));
  await measure('sqlite', { store });
  store.close();
  const direct = new WitnessStore(join(tmp, 'direct.sqlite'));
  await measure('no HTTP', { store: direct }, false);
  direct.close();
  if (testPostgresUrl() !== undefined) {
    const db = await createTestDatabase('witness_bench');
    try {
      await measure('postgres', { databaseUrl: db.url });
    } finally {
      await db.drop();
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
