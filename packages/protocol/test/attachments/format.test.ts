import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AttachmentDecryptor,
  AttachmentEncryptor,
  AttachmentIntegrityError,
  ciphertextSize,
  incrementalChunkSize,
  IncrementalMacDigester,
  paddedSize,
} from '../../src/attachments/index.ts';
import { decryptAttachmentToSink, encryptAttachment, type PlaintextSink } from '../../src/attachments/stream.ts';

/** A sink that shows what reached it, and whether it was committed or aborted. */
function memorySink(): PlaintextSink & { parts: Uint8Array[]; state: 'open' | 'committed' | 'aborted' } {
  const sink = {
    parts: [] as Uint8Array[],
    state: 'open' as 'open' | 'committed' | 'aborted',
    async write(p: Uint8Array[]) {
      sink.parts.push(...p.map((x) => x.slice()));
    },
    async commit() {
      sink.state = 'committed';
    },
    async abort() {
      sink.parts = [];
      sink.state = 'aborted';
    },
  };
  return sink;
}

async function decryptAttachmentToFile(source: Iterable<Uint8Array>, params: Parameters<typeof decryptAttachmentToSink>[1], out: string): Promise<{ size: number; plaintextHash: Uint8Array }> {
  const sink = memorySink();
  try {
    const r = await decryptAttachmentToSink(source, params, sink);
    expect(sink.state).toBe('committed');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(out, Buffer.concat(sink.parts));
    return r;
  } catch (e) {
    // A failure never commits: the sink is aborted and its contents dropped.
    expect(sink.state).toBe('aborted');
    throw e;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sealpost-attach-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = Uint8Array.from({ length: 64 }, (_, i) => i);
const IV = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

/** One-shot reference from node:crypto alone. */
function reference(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const padded = Buffer.alloc(paddedSize(plaintext.length));
  padded.set(plaintext);
  const c = createCipheriv('aes-256-cbc', key.subarray(0, 32), iv);
  const ct = Buffer.concat([c.update(padded), c.final()]);
  const mac = createHmac('sha256', key.subarray(32)).update(iv).update(ct).digest();
  return Buffer.concat([iv, ct, mac]);
}

function encryptAll(plaintext: Uint8Array, key = KEY, iv = IV, pieces = 7): { blob: Buffer; enc: AttachmentEncryptor } {
  const enc = new AttachmentEncryptor(key, iv, plaintext.length);
  const out: Uint8Array[] = [];
  const step = Math.max(1, Math.ceil(plaintext.length / pieces));
  for (let o = 0; o < plaintext.length; o += step) out.push(...enc.update(plaintext.subarray(o, o + step)));
  out.push(...enc.finish());
  return { blob: Buffer.concat(out), enc };
}

describe('attachment padding and sizes (known answers)', () => {
  it('padding table of the Desktop formula', () => {
    const table: [number, number][] = [
      [0, 541], [1, 541], [541, 541], [542, 568], [1000, 1020], [100_000, 100_155], [1_000_000, 1_041_743], [104_857_600, 107_335_738],
    ];
    for (const [size, padded] of table) expect(paddedSize(size), `size ${size}`).toBe(padded);
  });

  it('ciphertext sizes for edge lengths equal the encrypted length', () => {
    for (const n of [0, 1, 15, 16, 17, 541, 542, 65535, 65536, 65537, 1_000_000]) {
      const { blob } = encryptAll(randomBytes(n));
      expect(blob.length, `n=${n}`).toBe(ciphertextSize(n));
      expect(blob.length).toBe(16 + 16 * (Math.floor(paddedSize(n) / 16) + 1) + 32);
    }
    const big = randomBytes(16 * 2 ** 20 + 1);
    for (const n of [16 * 2 ** 20 - 1, 16 * 2 ** 20 + 1]) {
      const { blob } = encryptAll(big.subarray(0, n), KEY, IV, 16);
      expect(blob.length, `n=${n}`).toBe(ciphertextSize(n));
      expect(blob.length).toBe(16 + 16 * (Math.floor(paddedSize(n) / 16) + 1) + 32);
    }
  });

  it('padding is idempotent and at most 5% (sampled)', () => {
    for (let n = 541; n < 200_000; n += 997) {
      const p = paddedSize(n);
      expect(paddedSize(p)).toBe(p);
      expect(p).toBeGreaterThanOrEqual(n);
      expect(p).toBeLessThanOrEqual(Math.ceil(n * 1.05));
    }
  });

  it('chunk-size rule at the thresholds', () => {
    expect(incrementalChunkSize(0)).toBe(65536);
    expect(incrementalChunkSize(16 * 2 ** 20 - 1)).toBe(65536);
    expect(incrementalChunkSize(16 * 2 ** 20)).toBe(65536);
    expect(incrementalChunkSize(16 * 2 ** 20 + 1)).toBe(65537);
    expect(incrementalChunkSize(100 * 2 ** 20)).toBe(400 * 1024);
    expect(incrementalChunkSize(512 * 2 ** 20)).toBe(2 * 2 ** 20);
    expect(incrementalChunkSize(2 ** 40)).toBe(2 * 2 ** 20);
  });
});

describe('attachment encryption against a one-shot node:crypto reference', () => {
  it('fixed key + IV: byte-identical blob, digest = SHA-256(blob), plaintext hash', () => {
    for (const n of [0, 1, 15, 16, 17, 541, 542, 70_000]) {
      const pt = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      const { blob, enc } = encryptAll(pt);
      expect(blob.equals(reference(KEY, IV, pt)), `n=${n}`).toBe(true);
      const info = enc.result();
      expect(Buffer.from(info.digest).equals(createHash('sha256').update(blob).digest())).toBe(true);
      expect(Buffer.from(info.plaintextHash).equals(createHash('sha256').update(pt).digest())).toBe(true);
      const im = new IncrementalMacDigester(KEY.subarray(32), info.chunkSize);
      im.update(blob);
      expect(Buffer.from(info.incrementalMac).equals(Buffer.from(im.finalize()))).toBe(true);
    }
  });

  it('incremental MAC = HMAC of every chunk-boundary prefix, then of the whole', () => {
    const data = randomBytes(200_000);
    const mk = KEY.subarray(32);
    const d = new IncrementalMacDigester(mk, 65536);
    d.update(data.subarray(0, 1000));
    d.update(data.subarray(1000));
    const got = Buffer.from(d.finalize());
    const expected = Buffer.concat([65536, 131072, 196608, 200_000].map((end) => createHmac('sha256', mk).update(data.subarray(0, end)).digest()));
    expect(got.equals(expected)).toBe(true);
  });

  it('streams round-trip through a verified file', async () => {
    const pt = randomBytes(300_001);
    const { key, iv } = { key: randomBytes(64), iv: randomBytes(16) };
    const e = encryptAttachment([pt.subarray(0, 100_000), pt.subarray(100_000)], key, iv, pt.length);
    const parts: Uint8Array[] = [];
    for await (const c of e.blob) parts.push(c);
    const info = e.info();
    const out = join(dir, 'roundtrip.bin');
    const r = await decryptAttachmentToFile(parts, { key, size: pt.length, digest: info.digest, incrementalMac: info.incrementalMac, chunkSize: info.chunkSize }, out);
    expect(readFileSync(out).equals(pt)).toBe(true);
    expect(Buffer.from(r.plaintextHash).equals(Buffer.from(info.plaintextHash))).toBe(true);
  });

  it('refuses more or fewer plaintext bytes than declared', () => {
    const enc = new AttachmentEncryptor(KEY, IV, 10);
    expect(() => enc.update(new Uint8Array(11))).toThrow(/longer than its declared size/);
    const short = new AttachmentEncryptor(KEY, IV, 10);
    short.update(new Uint8Array(9));
    expect(() => [...short.finish()]).toThrow(/declared 10/);
  });
});

describe('attachment tampering is rejected with a typed error and no file left behind', () => {
  const pt = Uint8Array.from({ length: 150_000 }, (_, i) => (i * 7) & 0xff);
  const { blob, enc } = encryptAll(pt);
  const info = enc.result();
  const good = { key: KEY, size: pt.length, digest: info.digest, incrementalMac: info.incrementalMac, chunkSize: info.chunkSize };
  let counter = 0;

  async function reject(bytes: Uint8Array, params: Parameters<typeof decryptAttachmentToFile>[1], reason: string): Promise<void> {
    const sub = join(dir, `t${counter++}`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    const err = await decryptAttachmentToFile([bytes.subarray(0, 5000), bytes.subarray(5000)], params, join(sub, 'out.bin')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachmentIntegrityError);
    expect((err as AttachmentIntegrityError).reason).toBe(reason);
    expect(readdirSync(sub)).toEqual([]);
  }

  it('the untampered blob decrypts (control)', async () => {
    const out = join(dir, 'control.bin');
    await decryptAttachmentToFile([blob], good, out);
    expect(readFileSync(out).equals(Buffer.from(pt))).toBe(true);
  });

  it('a bit flip anywhere (iv, ciphertext, padding, MAC; first and last byte)', async () => {
    const positions = [0, 15, 16, 17, 70_000, 149_999, blob.length - 33, blob.length - 32, blob.length - 1];
    for (let i = 0; i < 5; i++) positions.push(Math.floor(Math.random() * blob.length));
    for (const pos of positions) {
      const bad = Buffer.from(blob);
      bad[pos]! ^= 1 << (pos % 8);
      // With the incremental MAC the first failing chunk reports; without it, the digest.
      await reject(bad, good, 'INCREMENTAL_MAC');
      await reject(bad, { ...good, incrementalMac: undefined, chunkSize: undefined }, 'DIGEST');
    }
  });

  it('truncation, one extra byte, wrong digest, wrong size', async () => {
    await reject(blob.subarray(0, blob.length - 1), good, 'LENGTH');
    await reject(blob.subarray(0, 100), good, 'LENGTH');
    await reject(Buffer.concat([blob, Buffer.from([0])]), good, 'LENGTH');
    const wrongDigest = Buffer.from(info.digest);
    wrongDigest[3]! ^= 0x40;
    await reject(blob, { ...good, digest: wrongDigest }, 'DIGEST');
    await reject(blob, { ...good, size: 20_000 }, 'LENGTH');
    await reject(blob, { ...good, size: pt.length + 10_000, incrementalMac: undefined, chunkSize: undefined }, 'LENGTH');
    await reject(blob, { ...good, chunkSize: 65536 * 2 }, 'INCREMENTAL_MAC');
    const wrongHash = Buffer.from(info.plaintextHash);
    wrongHash[0]! ^= 1;
    await reject(blob, { ...good, plaintextHash: wrongHash }, 'PLAINTEXT_HASH');
  });

  it('the MAC alone catches a flipped byte when digest and incremental MAC are recomputed', async () => {
    const bad = Buffer.from(blob);
    bad[100]! ^= 1;
    const digest = createHash('sha256').update(bad).digest();
    await reject(bad, { key: KEY, size: pt.length, digest }, 'MAC');
  });

  it('bad PKCS#7 and non-zero padding under a valid MAC and digest', async () => {
    const build = (plainPadded: Buffer): { blob: Buffer; digest: Buffer } => {
      const c = createCipheriv('aes-256-cbc', KEY.subarray(0, 32), IV).setAutoPadding(false);
      const ct = Buffer.concat([c.update(plainPadded), c.final()]);
      const mac = createHmac('sha256', KEY.subarray(32)).update(IV).update(ct).digest();
      const b = Buffer.concat([IV, ct, mac]);
      return { blob: b, digest: createHash('sha256').update(b).digest() };
    };
    const size = 100;
    const ctLen = ciphertextSize(size) - 48;
    const body = Buffer.alloc(ctLen);
    body.fill(0x00, 0, ctLen); // last block all zero bytes: invalid PKCS#7
    const badPkcs = build(body);
    await reject(badPkcs.blob, { key: KEY, size, digest: badPkcs.digest }, 'PADDING');
    const padded = Buffer.alloc(paddedSize(size));
    padded[300] = 1; // non-zero byte after `size`
    const pkcs = 16 - (padded.length % 16);
    const nonZero = build(Buffer.concat([padded, Buffer.alloc(pkcs, pkcs)]));
    await reject(nonZero.blob, { key: KEY, size, digest: nonZero.digest }, 'PADDING');
  });

  it('rejects malformed parameters before reading', () => {
    expect(() => new AttachmentDecryptor({ ...good, key: KEY.subarray(0, 32) })).toThrow();
    expect(() => new AttachmentDecryptor({ ...good, incrementalMac: info.incrementalMac.subarray(0, 31) })).toThrow();
    expect(() => new AttachmentDecryptor({ ...good, chunkSize: undefined })).toThrow(/go together/);
  });
});
