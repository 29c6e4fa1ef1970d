/**
 * Incremental MAC and chunk-size rule against libsignal-client 0.90's
 * IncrementalMac (`DigestingPassThrough` / `ValidatingPassThrough`, imported
 * from dist/incremental_mac.js as Signal-Desktop does), both directions.
 */
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  chunkSizeInBytes,
  DigestingPassThrough,
  everyNthByte,
  inferChunkSize,
  ValidatingPassThrough,
} from '@signalapp/libsignal-client/dist/incremental_mac.js';
import { AttachmentEncryptor, incrementalChunkSize, IncrementalMacDigester, IncrementalMacValidator } from '../../src/attachments/index.ts';

async function libsignalDigest(key: Uint8Array, data: Buffer, chunkSize: number): Promise<Buffer> {
  const digester = new DigestingPassThrough(Uint8Array.from(key), everyNthByte(chunkSize));
  await pipeline(Readable.from(split(data)), digester, new Writable({ write: (_c, _e, cb) => cb() }));
  return Buffer.from(digester.getFinalDigest());
}

async function libsignalValidate(key: Uint8Array, data: Buffer, chunkSize: number, digest: Uint8Array): Promise<{ ok: boolean; bytes: number }> {
  let bytes = 0;
  try {
    await pipeline(
      Readable.from(split(data)),
      new ValidatingPassThrough(Uint8Array.from(key), everyNthByte(chunkSize), Uint8Array.from(digest)),
      new Writable({ write: (c: Buffer, _e, cb) => ((bytes += c.length), cb()) }),
    );
    return { ok: true, bytes };
  } catch (e) {
    expect((e as Error).name + String((e as { code?: unknown }).code)).toMatch(/IncrementalMacVerificationFailed|Verification/);
    return { ok: false, bytes };
  }
}

/** Uneven pieces, so chunk boundaries fall inside writes. */
function split(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0, n = 1; o < data.length; o += n, n = (n * 7 + 13) % 200_003) out.push(data.subarray(o, o + n));
  return out;
}

function ours(key: Uint8Array, data: Buffer, chunkSize: number): Buffer {
  const d = new IncrementalMacDigester(key, chunkSize);
  for (const piece of split(data)) d.update(piece);
  return Buffer.from(d.finalize());
}

function oursValidate(key: Uint8Array, data: Buffer, chunkSize: number, digest: Uint8Array): boolean {
  const v = new IncrementalMacValidator(key, chunkSize, digest);
  for (const piece of split(data)) if (!v.update(piece)) return false;
  return v.finalize();
}

describe('incremental MAC interop with libsignal-client 0.90', () => {
  it('interop: the library known answer (chunk 32)', () => {
    const key = Buffer.from('a83481457efecc69ad1342e21d9c0297f71debbf5c9304b4c1b2e433c1a78f98', 'hex');
    const d = new IncrementalMacDigester(key, 32);
    d.update(Buffer.from('this is a test input to the incremental mac stream'));
    expect(Buffer.from(d.finalize()).toString('hex')).toBe(
      '84892f70600e549fb72879667a9d96a273f144b698ff9ef5a76062a56061a909884f6d9f42918a9e476ed518c4ac8f714bd33f045152ae049877fd3d1b0db25a',
    );
  });

  it('interop: chunk-size rule equals chunkSizeInBytes(inferChunkSize(n))', () => {
    const sizes = [0, 1, 65535, 65536, 16 * 2 ** 20 - 1, 16 * 2 ** 20, 16 * 2 ** 20 + 1, 100 * 2 ** 20, 512 * 2 ** 20 - 1, 512 * 2 ** 20, 512 * 2 ** 20 + 1, 2 ** 32 - 1];
    for (let i = 0; i < 200; i++) sizes.push(Math.floor(Math.random() * 2 ** 32));
    for (const n of sizes) expect(incrementalChunkSize(n), `n=${n}`).toBe(chunkSizeInBytes(inferChunkSize(n)));
  });

  for (const [label, size] of [['1 B', 1], ['64 KiB', 65536], ['1 MiB', 2 ** 20], ['17 MiB', 17 * 2 ** 20]] as const) {
    it(`interop: ${label} — equal digests, each validator accepts the other's and rejects a flipped byte`, async () => {
      const key = randomBytes(32);
      const data = randomBytes(size);
      const chunk = incrementalChunkSize(size);
      const theirs = await libsignalDigest(key, data, chunk);
      const mine = ours(key, data, chunk);
      expect(mine.equals(theirs)).toBe(true);
      expect(mine.length).toBe(32 * (Math.floor(size / chunk) + 1));

      expect((await libsignalValidate(key, data, chunk, mine)).ok).toBe(true);
      expect(oursValidate(key, data, chunk, theirs)).toBe(true);

      const flipped = Buffer.from(data);
      flipped[size - 1]! ^= 0x80;
      expect((await libsignalValidate(key, flipped, chunk, mine)).ok).toBe(false);
      expect(oursValidate(key, flipped, chunk, theirs)).toBe(false);
    });
  }

  it('interop: an encrypted attachment blob carries the MAC libsignal computes over it (inferChunkSize)', async () => {
    const key = randomBytes(64);
    const pt = randomBytes(1_000_000);
    const enc = new AttachmentEncryptor(key, randomBytes(16), pt.length);
    const blob = Buffer.concat([...enc.update(pt), ...enc.finish()]);
    const info = enc.result();
    const digester = new DigestingPassThrough(Uint8Array.from(key.subarray(32)), inferChunkSize(blob.length));
    await pipeline(Readable.from([blob]), digester, new Writable({ write: (_c, _e, cb) => cb() }));
    expect(Buffer.from(digester.getFinalDigest()).equals(Buffer.from(info.incrementalMac))).toBe(true);
    expect(info.incrementalMac.length).toBe(16 * 32);
  });
});
