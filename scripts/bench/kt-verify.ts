/**
 * Client-side KT search verification (issue 15): applySearch p50/p90,
 * cold (verified-VRF cache empty: both ECVRF proofs verified) and warm
 * (cache holds them), and the response size, at ~1,000 and ~100,000 labels.
 *
 *   node --expose-gc --import tsx scripts/bench/kt-verify.ts [labels...]     (default: 1000 100000)
 *
 * Building a 100,000-label directory with KtDirectory would cost 100,000
 * ECVRF proofs (minutes); instead the prefix tree is filled with random
 * (search key, commitment) leaves — what the VRF and the commitments make
 * every real leaf look like — plus 16 real labels with real VRF proofs,
 * commitments and openings. The log has one entry per 100 labels (a
 * sequencer batch each), so inclusion and consistency paths are as long as
 * such a log's. The response carries the log signature, three cosignatures
 * (policy 2-of-3) and a consistency proof from the client's previous head
 * (size − 5). Every timed call is checked to return `verified`.
 */
import { loadavg } from 'node:os';
import { randomBytes, toBase64, utf8Encode } from '@sealpost/protocol/primitives';
import {
  type KtClientState,
  type KtSearchResponseJson,
  MemoryLeafStore,
  PrefixTree,
  addNoteSignatures,
  applySearch,
  commit,
  consistencyProof,
  ed25519Cosigner,
  ed25519NoteSigner,
  emptyKtState,
  encodeLogEntry,
  encodeSearchProof,
  inclusionProof,
  ktPinned,
  ktSearchRequest,
  signCheckpoint,
  treeRoot,
  vrfInput,
  vrfOutput,
  vrfProofToHash,
  vrfProve,
  vrfPublicKey,
} from '../../packages/keytrans/src/index.ts';

const ORIGIN = 'kt.sealpost.example/sealpost-kt/00112233aabbccdd';
const REAL = 16;
const ROUNDS = Number(process.env.KT_BENCH_ROUNDS ?? 200);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Builds the directory and the responses; the tree and the log are dropped before timing, so their heap does not slow the timed calls' GC. */
function build(labels: number) {
  const t0 = performance.now();
  const vrfSk = randomBytes(32);
  const now = Date.now();
  const logSigner = ed25519NoteSigner(ORIGIN, randomBytes(32));
  const cosigners = [1, 2, 3].map((i) => ed25519Cosigner(`w${i}.example`, randomBytes(32), () => Math.floor(now / 1000)));
  const policy = [`log ${logSigner.vkey}`, ...cosigners.map((c, i) => `witness w${i + 1} ${c.vkey}`), 'group q 2 w1 w2 w3', 'quorum q', ''].join('\n');
  const pinned = ktPinned({ origin: ORIGIN, logVerifierKey: logSigner.vkey, vrfPublicKey: vrfPublicKey(vrfSk), witnessPolicy: policy });

  let tree = PrefixTree.empty();
  for (let i = 0; i < labels - REAL; i++) tree = tree.insert(randomBytes(32), randomBytes(32));
  const real = Array.from({ length: REAL }, (_, i) => {
    const label = utf8Encode(`a-bench-label-${String(i).padStart(4, '0')}`);
    const value = Uint8Array.of(0x01, 0x05, ...randomBytes(32));
    const { opening, commitment } = commit(label, 0, value);
    const vrfProof = vrfProve(vrfSk, vrfInput(label, 0));
    const nextVrfProof = vrfProve(vrfSk, vrfInput(label, 1));
    tree = tree.insert(vrfOutput(vrfProofToHash(vrfProof)), commitment);
    return { label, value, opening, vrfProof, nextVrfProof };
  });
  const entries = Math.max(10, Math.ceil(labels / 100));
  const log = new MemoryLeafStore();
  for (let i = 0; i < entries - 1; i++) log.append(encodeLogEntry({ timestamp: now - (entries - i) * 1000, prefixRoot: randomBytes(32) }));
  const entry = { timestamp: now, prefixRoot: tree.root };
  log.append(encodeLogEntry(entry));
  const size = log.size;
  const built = performance.now() - t0;

  // the client's previous head: size − 5, witnessed
  const prevSize = size - 5;
  const prevNote = addNoteSignatures(signCheckpoint({ origin: ORIGIN, size: prevSize, rootHash: treeRoot(log, prevSize), extensions: [] }, logSigner), cosigners);
  const base: KtClientState = { ...emptyKtState(), retained: { size: prevSize, root: treeRoot(log, prevSize), note: prevNote } };
  const note = addNoteSignatures(signCheckpoint({ origin: ORIGIN, size, rootHash: treeRoot(log, size), extensions: [] }, logSigner), cosigners);
  const consistency = [{ from: prevSize, proof: consistencyProof(log, prevSize, size).map((h) => toBase64(h)) }];

  const responses = real.map((r) => {
    const proof = encodeSearchProof({
      entry,
      inclusion: inclusionProof(log, size - 1, size),
      version: 0,
      opening: r.opening,
      value: r.value,
      vrfProof: r.vrfProof,
      nextVrfProof: r.nextVrfProof,
      prefixProof: tree.prove([vrfOutput(vrfProofToHash(r.vrfProof)), vrfOutput(vrfProofToHash(r.nextVrfProof))]),
    });
    const response: KtSearchResponseJson = { checkpoint: note, proof: toBase64(proof), consistency };
    return { ...r, response, bytes: Buffer.byteLength(JSON.stringify(response)), proofBytes: proof.length };
  });

  return { pinned, base, now, responses, size, built };
}

function run(labels: number): void {
  const { pinned, base, now, responses, size, built } = build(labels);
  (globalThis as { gc?: () => void }).gc?.(); // with node --expose-gc: collect the dropped tree now, not during the timed calls
  const once = (state: KtClientState, i: number) => {
    const r = responses[i % REAL]!;
    const request = ktSearchRequest(state, r.label);
    const c = process.cpuUsage();
    const t = performance.now();
    const out = applySearch({ state, pinned, label: r.label, request, response: r.response, nowMs: now, purpose: 'lookup', expectedValue: r.value });
    const ms = performance.now() - t;
    const used = process.cpuUsage(c);
    if (out.outcome.kind !== 'verified') throw new Error(`not verified: ${JSON.stringify(out.outcome)}`);
    return { ms, cpuMs: (used.user + used.system) / 1000, state: out.state };
  };
  // warm state: every real label's proofs cached
  let warmState = base;
  for (let i = 0; i < REAL; i++) warmState = { ...base, vrfCache: once(warmState, i).state.vrfCache };
  for (let i = 0; i < 20; i++) once(base, i); // JIT warm-up
  const cold: number[] = [];
  const warm: number[] = [];
  const coldCpu: number[] = [];
  const warmCpu: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const c = once(base, i);
    const w = once(warmState, i);
    cold.push(c.ms);
    coldCpu.push(c.cpuMs);
    warm.push(w.ms);
    warmCpu.push(w.cpuMs);
  }
  const sizes = responses.map((r) => r.bytes);
  console.log(
    JSON.stringify({
      labels,
      logEntries: size,
      buildSeconds: +(built / 1000).toFixed(1),
      rounds: ROUNDS,
      coldP50: +pct(cold, 50).toFixed(2),
      coldP90: +pct(cold, 90).toFixed(2),
      warmP50: +pct(warm, 50).toFixed(2),
      warmP90: +pct(warm, 90).toFixed(2),
      // CPU time of the calling thread's process per call: less sensitive to other processes than wall time
      coldCpuP50: +pct(coldCpu, 50).toFixed(2),
      warmCpuP50: +pct(warmCpu, 50).toFixed(2),
      responseBytesMax: Math.max(...sizes),
      responseBytesMin: Math.min(...sizes),
      searchProofBytesMax: Math.max(...responses.map((r) => r.proofBytes)),
      loadavg: loadavg().map((l) => +l.toFixed(2)),
    }),
  );
}

const sizes = process.argv.slice(2).map(Number);
console.log(`# kt-verify ${new Date().toISOString()} load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const n of sizes.length > 0 ? sizes : [1000, 100_000]) run(n);
