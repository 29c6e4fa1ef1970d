import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { ciphertextSize } from '@sealpost/protocol/attachments';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttachmentError, type TransferProgress } from '../../src/attachments/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { attachmentPeers, Collect } from '../support/attachment-peers.ts';
import { useLocalServices } from '../support/local-services.ts';
import { cuttingProxy } from './proxy.ts';

let now = Date.now();
const local = useLocalServices({
  services: { blobs: { now: () => now, settings: { uploadRateLimit: { burst: 40, perSecond: 0.001 } } }, keyServer: { attachmentForms: { maxUploadBytes: 8 * 2 ** 20 } } },
});
const { attachmentsOf, pair } = attachmentPeers(local);


const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');



describe('encrypted attachments end to end (key server + relay + blob service)', () => {
  it('sends a message with a file, a buffer and a stream; the recipient downloads each to a path or a stream', async () => {
    const { alice, bob } = await pair();
    const up = attachmentsOf(alice);
    const file = local.path('report.pdf');
    const fileBytes = randomBytes(1_500_000);
    writeFileSync(file, fileBytes);
    const buf = randomBytes(1234);
    const streamBytes = randomBytes(300_000);
    const progress: TransferProgress[] = [];
    up.on('progress', (p: TransferProgress) => progress.push(p));
    const pFile = await up.upload({ path: file }, { contentType: 'application/pdf' });
    const pBuf = await up.upload(buf, { contentType: 'image/png', width: 10, height: 20, caption: 'hi', fileName: 'dot.png' });
    const pStream = await up.upload({ stream: (async function* () { for (let o = 0; o < streamBytes.length; o += 50_000) yield streamBytes.subarray(o, o + 50_000); })(), size: streamBytes.length });
    expect(progress.length).toBeGreaterThan(3);
    const last = progress.filter((p) => p.phase === 'upload').at(-1)!;
    expect(last.done).toBe(last.total);
    expect(pFile.fileName).toBe('report.pdf');
    await alice.send(bob.address.account, { text: 'three files', attachments: [pFile, pBuf, pStream] });

    const got: { text?: string; attachments?: unknown[] }[] = [];
    bob.on('message', (m) => got.push(m.content));
    expect(await bob.poll()).toBe(1);
    const received = got[0]!.attachments as typeof pFile[];
    expect(got[0]!.text).toBe('three files');
    expect(received).toHaveLength(3);
    expect(received[1]).toMatchObject({ contentType: 'image/png', width: 10, height: 20, caption: 'hi', fileName: 'dot.png', size: 1234 });

    const down = attachmentsOf(bob);
    const out = local.path('bob-report.pdf');
    const dlProgress: TransferProgress[] = [];
    await down.download(received[0]!, { path: out }, { onProgress: (p) => dlProgress.push(p) });
    expect(sha(readFileSync(out))).toBe(sha(fileBytes));
    expect(dlProgress.at(-1)).toMatchObject({ phase: 'download', done: dlProgress.at(-1)!.total });
    const sink = new Collect();
    await down.download(received[1]!, sink);
    expect(Buffer.concat(sink.parts).equals(buf)).toBe(true);
    const out3 = local.path('stream.bin');
    await down.download(received[2]!, { path: out3 });
    expect(readFileSync(out3).equals(streamBytes)).toBe(true);

    // The blob service holds opaque blobs named by random keys: no file names, no plaintext.
    const dir = local.services.blobDir!;
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, f));
      expect(bytes.includes(fileBytes.subarray(0, 64)), f).toBe(false);
      expect(bytes.includes(Buffer.from('report.pdf')), f).toBe(false);
      expect(bytes.includes(Buffer.from(alice.address.account)), f).toBe(false);
    }
  });

  it('resumes an upload and a download after the connection breaks mid-way', async () => {
    const { alice } = await pair();
    const port = Number(new URL(local.services.blobUrl!).port);
    const proxy = await cuttingProxy(port);
    try {
      const up = attachmentsOf(alice, proxy.url);
      const data = randomBytes(3 * 2 ** 20);
      proxy.cutNext(1_000_000, 'up');
      const pointer = await up.upload(data, {}, { retryDelayMs: 50 });
      expect(proxy.cuts).toBe(1);
      proxy.cutNext(2_000_000, 'down');
      const out = local.path('resumed.bin');
      await up.download(pointer, { path: out }, { retryDelayMs: 50 });
      expect(proxy.cuts).toBe(2);
      expect(readFileSync(out).equals(data)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('resumes a file upload after a restart, with its state in the SQLite store', async () => {
    const dbPath = local.path('restart.sqlite');
    const first = local.client({ store: new SqliteStore(dbPath) });
    await first.register();
    const file = local.path('big.bin');
    const data = randomBytes(4 * 2 ** 20);
    writeFileSync(file, data);
    const abort = new AbortController();
    const up = attachmentsOf(first);
    const err = await up.upload({ path: file }, { contentType: 'application/octet-stream' }, {
      signal: abort.signal,
      onProgress: (p) => p.done > 1_000_000 && abort.abort(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachmentError);
    expect((err as AttachmentError).code).toBe('ABORTED');
    await first.close();

    const second = local.client({ store: new SqliteStore(dbPath) });
    await second.ready();
    const again = attachmentsOf(second);
    const pending = await again.pendingUploads();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.path).toBe(file);
    const [pointer] = await again.resumeUploads();
    expect(await again.pendingUploads()).toEqual([]);
    expect(pointer!.fileName).toBe('big.bin');
    const out = local.path('big-out.bin');
    await again.download(pointer!, { path: out });
    expect(sha(readFileSync(out))).toBe(sha(data));
  });

  it('resumes a stored file upload whose creation never reached the blob service (HEAD 404, then create)', async () => {
    const c = local.client();
    await c.register();
    const a = attachmentsOf(c);
    const file = local.path('never-sent.bin');
    const data = randomBytes(200_000);
    writeFileSync(file, data);
    const form = await c.keyServer.attachmentForm(ciphertextSize(data.length));
    await a.uploads.put({ id: 'never-sent', path: file, size: data.length, mtimeMs: statSync(file).mtimeMs, key: randomBytes(64), iv: randomBytes(16), blobKey: form.key, token: form.token, capabilityExpiresAt: form.expiresAt, meta: { fileName: 'never-sent.bin' }, createdAt: Date.now() });
    const [pointer] = await a.resumeUploads();
    expect(pointer!.cdnKey).toBe(form.key);
    const out = local.path('never-sent-out.bin');
    await a.download(pointer!, { path: out });
    expect(readFileSync(out).equals(data)).toBe(true);
    // A changed source file is refused rather than uploaded with the wrong digests.
    const form2 = await c.keyServer.attachmentForm(ciphertextSize(data.length));
    await a.uploads.put({ id: 'changed', path: file, size: data.length, mtimeMs: 1, key: randomBytes(64), iv: randomBytes(16), blobKey: form2.key, token: form2.token, capabilityExpiresAt: form2.expiresAt, meta: {}, createdAt: Date.now() });
    await expect(a.resumeUpload('changed')).rejects.toMatchObject({ code: 'SOURCE_CHANGED' });
    expect(await a.pendingUploads()).toEqual([]);
  });

  it('typed errors: too large, quota, tampered (no output file), expired', async () => {
    const { alice } = await pair();
    const up = attachmentsOf(alice);
    const tooLarge = await up.upload({ stream: (async function* () {})(), size: 9 * 2 ** 20 }).catch((e: unknown) => e);
    expect(tooLarge).toMatchObject({ name: 'AttachmentError', code: 'TOO_LARGE', status: 413 });

    const pointer = await up.upload(randomBytes(100_000));
    // Tamper with the stored blob: the download fails verification and leaves nothing behind.
    const blobPath = join(local.services.blobDir!, pointer.cdnKey);
    const blob = readFileSync(blobPath);
    blob[5000]! ^= 1;
    writeFileSync(blobPath, blob);
    const outDir = local.path('tampered');
    mkdirSync(outDir);
    const tampered = await up.download(pointer, { path: join(outDir, 'x.bin') }).catch((e: unknown) => e);
    expect(tampered).toMatchObject({ code: 'TAMPERED', reason: 'INCREMENTAL_MAC' });
    expect(readdirSync(outDir)).toEqual([]);

    const fresh = await up.upload(randomBytes(10));
    // The blob service's per-device upload rate (40 here) runs out: QUOTA_EXCEEDED with Retry-After.
    let quota: unknown;
    for (let i = 0; i < 45 && quota === undefined; i++) await up.upload(randomBytes(1)).catch((e: unknown) => (quota = e));
    expect(quota).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 429 });
    expect((quota as AttachmentError).retryAfterSeconds).toBeGreaterThan(0);
    now += 31 * 24 * 3600_000;
    const expired = await up.download(fresh, { path: join(outDir, 'y.bin') }).catch((e: unknown) => e);
    expect(expired).toMatchObject({ code: 'EXPIRED', status: 404 });
    expect(readdirSync(outDir)).toEqual([]);

  });
});
