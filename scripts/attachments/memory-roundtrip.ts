/**
 * A generated plaintext stream of `mib` MiB through encrypt → tus upload →
 * Range-capable download → verified decrypt to a file, with the key server,
 * relay and blob service on loopback in this process, sampling RSS every
 * 25 ms. Used by the memory test (512 MiB) and the soak script (2 GiB).
 */
import { rmSync, statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MemoryStore, SealpostClient } from '@sealpost/client';
import { AttachmentClient } from '@sealpost/client/attachments';
import { startLocalServices } from '@sealpost/devkit/services';

export interface MemoryRoundTrip {
  mib: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  growthMiB: number;
  uploadMiBs: number;
  downloadMiBs: number;
  seconds: number;
}

const MiB = 2 ** 20;

export async function runMemoryRoundTrip(mib: number): Promise<MemoryRoundTrip> {
  const work = mkdtempSync(join(tmpdir(), 'sealpost-mem-'));
  const max = 3 * 1024 * MiB;
  const services = await startLocalServices({
    blobs: { directory: join(work, 'blobs'), settings: { maxBlobBytes: max, uploadByteQuota: false } },
    keyServer: { attachmentForms: { maxUploadBytes: max } },
  });
  const client = new SealpostClient({ store: new MemoryStore(), keyServerUrl: services.keyServerUrl, relayUrl: services.relayUrl, trustRoot: services.trustRoot, receive: { mode: 'manual' }, upkeep: { automatic: false } });
  try {
    await client.register();
    const attachments = new AttachmentClient({ keyServer: client.keyServer, store: client.store, blobUrl: services.blobUrl! });
    const size = mib * MiB;
    const block = randomBytes(MiB);
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < mib; i++) {
        block.writeUInt32LE(i, 0); // the block is consumed synchronously by the encryptor, so it can be reused
        yield block;
      }
    }
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 100));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
    const t0 = performance.now();
    const pointer = await attachments.upload({ stream: source(), size });
    const t1 = performance.now();
    const out = join(work, 'out.bin');
    await attachments.download(pointer, { path: out });
    const t2 = performance.now();
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (statSync(out).size !== size) throw new Error('wrong output size');
    return {
      mib,
      baselineRssMiB: baseline / MiB,
      peakRssMiB: peak / MiB,
      growthMiB: (peak - baseline) / MiB,
      uploadMiBs: mib / ((t1 - t0) / 1000),
      downloadMiBs: mib / ((t2 - t1) / 1000),
      seconds: (t2 - t0) / 1000,
    };
  } finally {
    await client.close();
    await services.close();
    rmSync(work, { recursive: true, force: true });
  }
}
