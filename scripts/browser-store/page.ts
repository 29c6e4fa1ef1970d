/**
 * Page script of the browser-store measurement (bench.ts): one ratchet-step
 * transaction — load the session record, store the next one, add the
 * message to the history, mark its envelope processed — on the IndexedDB
 * store (`openBrowserStore`) and on SQLite-wasm over OPFS in a worker.
 */
import { openBrowserStore, runSessionStep } from '../../packages/client/src/browser.ts';

const peer = { account: '6a1f8f0e-6a2b-4f55-9a0a-0b7d9e1f2c3d', device: 1 };

function stats(samples: number[]): { median: number; p95: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.floor(s.length * 0.95)]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

async function idb(options: { records: Uint8Array[]; content: Uint8Array; steps: number; encrypted: boolean; durability: 'strict' | 'relaxed' }) {
  const name = `bench-${options.encrypted ? 'enc' : 'plain'}-${options.durability}`;
  const key = options.encrypted ? await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']) : undefined;
  let t = performance.now();
  let store = await openBrowserStore({ name, key, durability: options.durability });
  const createMs = performance.now() - t;
  await store.close();
  const reopen = await timed(5, async () => {
    const s = await openBrowserStore({ name, key, durability: options.durability });
    await s.close();
  });
  store = await openBrowserStore({ name, key, durability: options.durability });
  await store.sessions.store(peer, options.records[0]!);
  const steps = await timed(options.steps, (i) =>
    store.transaction(async (tx) => {
      await runSessionStep(tx, peer, () => ({ record: options.records[(i + 1) % options.records.length]!, result: undefined }));
      await tx.history.add({ direction: 'in', peer: peer.account, sender: peer, timestamp: i, content: options.content, envelopeId: `${name}-${i}`, storedAt: i });
      await tx.history.markProcessed(`${name}-${i}`, i);
    }),
  );
  t = performance.now();
  await store.sessions.load(peer);
  const readMs = performance.now() - t;
  await store.close();
  return { createMs, reopenMs: stats(reopen).median, step: stats(steps), readMs };
}

async function sqlite(options: { records: Uint8Array[]; content: Uint8Array; steps: number }) {
  const t = performance.now();
  const worker = new Worker('/sqlite-worker.js', { type: 'module' });
  let next = 0;
  const pending = new Map<number, (v: { rows?: unknown[]; openMs?: number; error?: string }) => void>();
  worker.onmessage = ({ data }) => pending.get(data.id)?.(data);
  const call = (msg: Record<string, unknown>) =>
    new Promise<{ rows?: unknown[]; openMs?: number }>((resolve, reject) => {
      const id = next++;
      pending.set(id, (v) => (v.error !== undefined ? reject(new Error(v.error)) : resolve(v)));
      worker.postMessage({ ...msg, id });
    });
  const { openMs } = await call({ op: 'ready' });
  const startMs = performance.now() - t;
  await call({ op: 'exec', sql: 'INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)', bind: [peer.account, peer.device, options.records[0]] });
  const upsert = 'INSERT INTO sessions (account, device, record) VALUES (?, ?, ?) ON CONFLICT (account, device) DO UPDATE SET record = excluded.record';
  const statements = (i: number, tag: string): [string, unknown[]][] => [
    ['BEGIN IMMEDIATE', []],
    ['SELECT record FROM sessions WHERE account = ? AND device = ?', [peer.account, peer.device]],
    [upsert, [peer.account, peer.device, options.records[(i + 1) % options.records.length]]],
    ['INSERT INTO messages (peer, content, envelope_id, stored_at) VALUES (?, ?, ?, ?)', [peer.account, options.content, `${tag}-${i}`, i]],
    ['INSERT INTO processed VALUES (?, ?)', [`${tag}-${i}`, i]],
    ['COMMIT', []],
  ];
  // As an async ClientStore over the worker: one round trip per call.
  const perCall = await timed(options.steps, async (i) => {
    for (const [sql, bind] of statements(i, 'call')) await call({ op: 'exec', sql, bind });
  });
  // Lower bound: the whole step in one message (the protocol step itself would have to run in the worker).
  const batched = await timed(options.steps, (i) => call({ op: 'batch', statements: statements(i, 'batch') }));
  await call({ op: 'close' });
  worker.terminate();
  return { startMs, initAndOpenMs: openMs, stepPerCall: stats(perCall), stepBatched: stats(batched) };
}

declare global {
  interface Window {
    bench: { idb: typeof idb; sqlite: typeof sqlite; isolated: boolean };
    sealpostReady: boolean;
  }
}

window.bench = { idb, sqlite, isolated: crossOriginIsolated };
window.sealpostReady = true;
