/**
 * Per-call cost of the hot primitives on each primitives backend (node:
 * node:crypto; web: @noble/* + getRandomValues), measured through the public
 * facade `@sealpost/protocol/primitives` exactly as the protocol calls it.
 *
 *   npx tsx scripts/bench/primitive-backends.ts            # both, as a Markdown table
 *   npx tsx scripts/bench/primitive-backends.ts --child    # the active backend only, JSON
 *
 * The parent runs itself twice as a child process: once plainly (the `node`
 * condition selects the node backend) and once with `--conditions=sealpost-web`,
 * which forces the web backend, so each child's facade is the backend it reports.
 * Each row is the median of ROUNDS rounds of ~ROUND_MS each, after a warm-up.
 * Env: BENCH_ROUNDS (default 7), BENCH_ROUND_MS (default 300).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  hkdfSha256,
  hmacSha256,
  primitivesBackend,
  randomBytes,
  x25519Agree,
  x25519GenerateKeyPair,
  xeddsaSign,
  xeddsaVerify,
} from '@sealpost/protocol/primitives';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);

interface Row {
  name: string;
  /** Median µs per call. */
  micros: number;
  /** Min and max µs per call over the rounds. */
  min: number;
  max: number;
}

/** Median µs per call of `fn` over ROUNDS rounds of about ROUND_MS each. */
function measure(name: string, fn: () => unknown): Row {
  // Warm up and size a batch that takes ~ROUND_MS / 10.
  let batch = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t > ROUND_MS / 10) break;
    batch *= 2;
  }
  const perCall: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ROUND_MS) {
      for (let i = 0; i < batch; i++) fn();
      calls += batch;
      now = performance.now();
    }
    perCall.push(((now - start) * 1000) / calls);
  }
  perCall.sort((a, b) => a - b);
  return { name, micros: perCall[Math.floor(perCall.length / 2)]!, min: perCall[0]!, max: perCall[perCall.length - 1]! };
}

function runActiveBackend(): { backend: string; rows: Row[] } {
  const alice = x25519GenerateKeyPair();
  const bob = x25519GenerateKeyPair();
  const key32 = randomBytes(32);
  const iv = randomBytes(16);
  const kib = randomBytes(1024);
  const kibCiphertext = aes256CbcEncrypt(key32, iv, kib);
  const macInput = randomBytes(100);
  const salt = new Uint8Array(32);
  const info = new TextEncoder().encode('WhisperMessageKeys');
  const message = randomBytes(100);
  const signature = xeddsaSign(alice.privateKey, message);
  const cases: [string, () => unknown][] = [
    ['X25519 agreement (same key arrays again)', () => x25519Agree(alice.privateKey, bob.publicKey)],
    ['X25519 agreement (fresh private-key array)', () => x25519Agree(Uint8Array.from(alice.privateKey), bob.publicKey)],
    ['X25519 key generation', () => x25519GenerateKeyPair()],
    ['HMAC-SHA256, 100 bytes', () => hmacSha256(key32, macInput)],
    ['HKDF-SHA256, 80-byte output', () => hkdfSha256(key32, salt, info, 80)],
    ['AES-256-CBC encrypt, 1 KiB', () => aes256CbcEncrypt(key32, iv, kib)],
    ['AES-256-CBC decrypt, 1 KiB', () => aes256CbcDecrypt(key32, iv, kibCiphertext)],
    ['XEdDSA verify (valid signature)', () => xeddsaVerify(alice.publicKey, message, signature)],
  ];
  // One warm-up pass over every case first, so no row pays for JIT or first-use work.
  for (const [, fn] of cases) for (let i = 0; i < 20; i++) fn();
  return { backend: primitivesBackend, rows: cases.map(([name, fn]) => measure(name, fn)) };
}

function runChild(extraArgs: string[]): { backend: string; rows: Row[] } {
  const out = execFileSync(process.execPath, [...extraArgs, ...process.execArgv, fileURLToPath(import.meta.url), '--child'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out) as { backend: string; rows: Row[] };
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

if (process.argv.includes('--child')) {
  process.stdout.write(JSON.stringify(runActiveBackend()));
} else {
  const node = runChild([]);
  const web = runChild(['--conditions=sealpost-web']);
  if (node.backend !== 'node' || web.backend !== 'web') throw new Error(`children ran ${node.backend} and ${web.backend}`);
  console.log(`node ${process.version}, ${ROUNDS} rounds of ~${ROUND_MS} ms per row, median (min – max) µs per call\n`);
  console.log('| primitive | node backend (µs) | web backend (µs) | web / node |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [i, n] of node.rows.entries()) {
    const w = web.rows[i]!;
    console.log(`| ${n.name} | ${fmt(n.micros)} (${fmt(n.min)} – ${fmt(n.max)}) | ${fmt(w.micros)} (${fmt(w.min)} – ${fmt(w.max)}) | ${(w.micros / n.micros).toFixed(1)}× |`);
  }
}
