import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AttachmentEncryptor, AttachmentIntegrityError } from '@sealpost/protocol/attachments';
import { decryptAttachmentToFile } from '../../src/attachments/verified-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-verified-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('decryptAttachmentToFile: the file appears only after verification', () => {
  const key = randomBytes(64);
  const pt = randomBytes(200_000);
  const enc = new AttachmentEncryptor(key, randomBytes(16), pt.length);
  const blob = Buffer.concat([...enc.update(pt), ...enc.finish()]);
  const info = enc.result();
  const params = { key, size: pt.length, digest: info.digest, incrementalMac: info.incrementalMac, chunkSize: info.chunkSize };
  const pieces = (b: Buffer) => [b.subarray(0, 70_000), b.subarray(70_000)];

  it('a good blob lands at the path with mode 0600', async () => {
    const out = join(dir, 'good.bin');
    await decryptAttachmentToFile(pieces(blob), params, out);
    expect(readFileSync(out).equals(pt)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('a flipped bit, a truncation or an extra byte leave no file at all (not even the temporary one)', async () => {
    const flipped = Buffer.from(blob);
    flipped[150_000]! ^= 4;
    const cases: [string, Buffer, string][] = [
      ['flip', flipped, 'INCREMENTAL_MAC'],
      ['short', blob.subarray(0, blob.length - 10), 'LENGTH'],
      ['long', Buffer.concat([blob, Buffer.from([1])]), 'LENGTH'],
    ];
    for (const [name, bytes, reason] of cases) {
      const sub = join(dir, name);
      mkdirSync(sub);
      const err = await decryptAttachmentToFile(pieces(bytes), params, join(sub, 'out.bin')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AttachmentIntegrityError);
      expect((err as AttachmentIntegrityError).reason).toBe(reason);
      expect(readdirSync(sub)).toEqual([]);
    }
  });
});
