/**
 * `npx tsx scripts/attachments/bench.ts [MiB=256]` (or `pnpm run bench:attachments`):
 * attachment encrypt/decrypt MiB/s beside the raw node:crypto pipeline doing
 * the same work except the incremental MAC (CBC + HMAC + SHA-256 of the blob
 * + SHA-256 of the plaintext), interleaved rounds, median; then tus upload and
 * Range download MiB/s over loopback against the blob service in a child
 * process, and that process's CPU seconds per GiB (from /proc). Prints Markdown.
 */
import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AttachmentDecryptor, AttachmentEncryptor, paddedSize } from '@sealpost/protocol/attachments';
import { generateRelayCredentialKeyPair, signUploadCapability } from '@sealpost/protocol';
import { toBase64, toBase64Url } from '@sealpost/protocol/primitives';
import { freePort } from '@sealpost/devkit/services';

const MiB = 2 ** 20;
const mib = Number(process.argv[2] ?? 256);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHUNK = MiB;
const chunk = randomBytes(CHUNK);
const key = randomBytes(64);
const iv = randomBytes(16);
const size = mib * MiB;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function oursEncrypt(): Buffer[] {
  const enc = new AttachmentEncryptor(key, iv, size);
  const keep: Buffer[] = [];
  for (let i = 0; i < mib; i++) for (const c of enc.update(chunk)) if (keep.length < 0) keep.push(c as Buffer);
  for (const _ of enc.finish());
  return keep;
}

function rawEncrypt(): void {
  const c = createCipheriv('aes-256-cbc', key.subarray(0, 32), iv);
  const mac = createHmac('sha256', key.subarray(32)).update(iv);
  const digest = createHash('sha256').update(iv);
  const pt = createHash('sha256');
  const feed = (ct: Buffer) => (mac.update(ct), digest.update(ct));
  for (let i = 0; i < mib; i++) (pt.update(chunk), feed(c.update(chunk)));
  const pad = Buffer.alloc(paddedSize(size) - size);
  feed(c.update(pad));
  feed(c.final());
  digest.update(mac.digest());
  digest.digest();
  pt.digest();
}

// One blob to decrypt, made once.
const blobParts: Buffer[] = [];
const encOnce = new AttachmentEncryptor(key, iv, size);
for (let i = 0; i < mib; i++) for (const c of encOnce.update(chunk)) blobParts.push(Buffer.from(c));
for (const c of encOnce.finish()) blobParts.push(Buffer.from(c));
const info = encOnce.result();
const blob = Buffer.concat(blobParts);
blobParts.length = 0;
const pieces: Buffer[] = [];
for (let o = 0; o < blob.length; o += CHUNK) pieces.push(blob.subarray(o, o + CHUNK));

function oursDecrypt(): void {
  const dec = new AttachmentDecryptor({ key, size, digest: info.digest, incrementalMac: info.incrementalMac, chunkSize: info.chunkSize });
  for (const p of pieces) dec.update(p);
  dec.final();
}

function rawDecrypt(): void {
  const digest = createHash('sha256');
  const mac = createHmac('sha256', key.subarray(32));
  const d = createDecipheriv('aes-256-cbc', key.subarray(0, 32), blob.subarray(0, 16));
  const pt = createHash('sha256');
  const ctEnd = blob.length - 32;
  for (const p of pieces) digest.update(p);
  mac.update(blob.subarray(0, 16));
  for (let o = 16; o < ctEnd; o += CHUNK) {
    const ct = blob.subarray(o, Math.min(o + CHUNK, ctEnd));
    mac.update(ct);
    pt.update(d.update(ct));
  }
  pt.update(d.final());
  mac.digest();
  digest.digest();
  pt.digest();
}

function rate(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return mib / ((performance.now() - t) / 1000);
}

function interleaved(a: () => unknown, b: () => unknown): { a: number; b: number } {
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ra.push(rate(a));
    rb.push(rate(b));
  }
  return { a: median(ra), b: median(rb) };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks (USER_HZ = 100)
}

async function transfer(): Promise<{ up: number; down: number; serverCpuUpPerGiB: number; serverCpuDownPerGiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-bench-blobs-'));
  const port = await freePort();
  const kp = generateRelayCredentialKeyPair();
  const main = join(dirname(createRequire(import.meta.url).resolve('@sealpost/blobs')), 'main.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', main, '--port', String(port), '--dir', dir, '--keyserver-public-key', toBase64(kp.publicKey), '--min-free-disk-bytes', '0', '--max-blob-bytes', String(4 * 1024 * MiB), '--log-level', 'silent'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 400; i++) {
      const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const blobKey = toBase64Url(randomBytes(15));
    const token = signUploadCapability({ blobKey, maxLength: blob.length, expiresAt: Date.now() + 3600_000, subject: 'AAAAAAAAAAAAAAAAAAAAAA' }, kp.privateKey);
    const cpu0 = cpuSeconds(proc.pid!);
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v1/blobs`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${token}`, 'upload-length': String(blob.length), 'content-length': String(blob.length), 'content-type': 'application/offset+octet-stream' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`upload ${res.statusCode}`))));
      });
      req.on('error', reject);
      (async () => {
        for (const p of pieces) if (!req.write(p)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(reject);
    });
    const t1 = performance.now();
    const cpu1 = cpuSeconds(proc.pid!);
    const res = await fetch(`${url}/v1/blobs/${blobKey}`);
    let got = 0;
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) got += c.length;
    const t2 = performance.now();
    const cpu2 = cpuSeconds(proc.pid!);
    if (got !== blob.length) throw new Error('short download');
    const gib = blob.length / (1024 * MiB);
    return { up: blob.length / MiB / ((t1 - t0) / 1000), down: blob.length / MiB / ((t2 - t1) / 1000), serverCpuUpPerGiB: (cpu1 - cpu0) / gib, serverCpuDownPerGiB: (cpu2 - cpu1) / gib };
  } finally {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

oursEncrypt();
rawEncrypt(); // warm-up
const enc = interleaved(oursEncrypt, rawEncrypt);
const dec = interleaved(oursDecrypt, rawDecrypt);
const t = await transfer();
const f = (x: number) => x.toFixed(0);
process.stdout.write(
  [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${mib} MiB, ${ROUNDS} interleaved rounds, median.`,
    '',
    '| scenario | Sealpost | raw node:crypto pipeline | ratio |',
    '|---|---|---|---|',
    `| encrypt (CBC + HMAC + digest + plaintext hash + incremental MAC) | ${f(enc.a)} MiB/s | ${f(enc.b)} MiB/s (no incremental MAC) | ${(enc.a / enc.b).toFixed(2)}× |`,
    `| decrypt (incremental MAC check + digest + HMAC + CBC + plaintext hash) | ${f(dec.a)} MiB/s | ${f(dec.b)} MiB/s (no incremental MAC) | ${(dec.a / dec.b).toFixed(2)}× |`,
    '',
    '| loopback transfer (one stream, blob service in a child process) | MiB/s | server CPU s per GiB |',
    '|---|---|---|',
    `| tus upload (creation-with-upload) | ${f(t.up)} | ${t.serverCpuUpPerGiB.toFixed(2)} |`,
    `| GET download | ${f(t.down)} | ${t.serverCpuDownPerGiB.toFixed(2)} |`,
    '',
  ].join('\n'),
);
