/**
 * Downloads to a path resume after a restart (issue 14, "resume after a
 * broken connection or a restart (state in the store)"): the ciphertext
 * received so far stays in a 0600 partial file, the download is recorded in
 * the SQLite store, and a new client continues with a Range request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ciphertextSize } from '@sealpost/protocol/attachments';
import { describe, expect, it } from 'vitest';
import type { AttachmentClient, AttachmentPointer } from '../../src/attachments/index.ts';
import type { SealpostClient } from '../../src/client.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { attachmentPeers } from '../support/attachment-peers.ts';
import { useLocalServices } from '../support/local-services.ts';
import { cuttingProxy, type CuttingProxy } from './proxy.ts';

const local = useLocalServices({ services: { blobs: {} } });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const { attachmentsOf } = attachmentPeers(local);

let seq = 0;
/** Uploads `size` random bytes, then starts a download to a path through a proxy that cuts it after `cutAt` bytes, and closes that client. */
async function brokenDownload(size: number, cutAt: number): Promise<{ data: Buffer; pointer: AttachmentPointer; dbPath: string; dir: string; out: string; proxy: CuttingProxy }> {
  const name = `dl-${++seq}`;
  const dbPath = local.path(`${name}.sqlite`);
  const dir = local.path(name);
  mkdirSync(dir);
  const sender = local.client();
  await sender.register();
  const data = randomBytes(size);
  const pointer = await attachmentsOf(sender, local.services.blobUrl!).upload(data);
  const proxy = await cuttingProxy(Number(new URL(local.services.blobUrl!).port));
  const first = local.client({ store: new SqliteStore(dbPath) });
  await first.ready();
  proxy.cutNext(cutAt, 'down');
  const out = join(dir, 'out.bin');
  const err = await attachmentsOf(first, proxy.url).download(pointer, { path: out }, { maxAttempts: 1 }).catch((e: unknown) => e);
  expect(err).toMatchObject({ name: 'AttachmentError', code: 'NETWORK' });
  expect(existsSync(out)).toBe(false);
  await first.close();
  return { data, pointer, dbPath, dir, out, proxy };
}

async function reopen(dbPath: string, blobUrl: string): Promise<{ client: SealpostClient; attachments: AttachmentClient }> {
  const client = local.client({ store: new SqliteStore(dbPath) });
  await client.ready();
  return { client, attachments: attachmentsOf(client, blobUrl) };
}

describe('downloads to a path resume after a restart (state in the SQLite store)', () => {
  it('continues with a Range request at the partial length; the file is byte-equal and partial + state are gone', async () => {
    const { data, pointer, dbPath, dir, out, proxy } = await brokenDownload(4 * 2 ** 20, 2_500_000);
    try {
      const length = ciphertextSize(data.length);
      const { client, attachments } = await reopen(dbPath, proxy.url);
      const [pending, ...rest] = await attachments.pendingDownloads();
      expect(rest).toEqual([]);
      expect(pending).toMatchObject({ blobKey: pointer.cdnKey, destPath: out, total: length });
      expect(pending!.received).toBeGreaterThan(1_000_000);
      expect(pending!.received).toBeLessThan(length);
      const st = statSync(pending!.partialPath);
      expect(st.mode & 0o777).toBe(0o600);
      expect(st.size).toBe(pending!.received);
      // Ciphertext only: no plaintext prefix in the partial file.
      expect(readFileSync(pending!.partialPath).subarray(16, 4096).equals(data.subarray(0, 4080))).toBe(false);

      const before = proxy.bytesDown;
      const requestsBefore = proxy.ranges.length;
      const progress: number[] = [];
      await attachments.download(pointer, { path: out }, { onProgress: (p) => progress.push(p.done) });
      expect(proxy.ranges.slice(requestsBefore)).toEqual([`bytes=${pending!.received}-`]);
      const second = proxy.bytesDown - before;
      expect(second).toBeLessThan(length - pending!.received + 4096);
      expect(second).toBeGreaterThanOrEqual(length - pending!.received);
      expect(progress[0]).toBeGreaterThan(pending!.received);
      expect(sha(readFileSync(out))).toBe(sha(data));
      expect(readdirSync(dir)).toEqual(['out.bin']);
      expect(await attachments.pendingDownloads()).toEqual([]);
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it('a tampered partial file: TAMPERED, nothing left behind, and a retry downloads cleanly from byte 0', async () => {
    const { data, pointer, dbPath, dir, out, proxy } = await brokenDownload(3 * 2 ** 20, 1_500_000);
    try {
      const { client, attachments } = await reopen(dbPath, proxy.url);
      const [pending] = await attachments.pendingDownloads();
      const partial = readFileSync(pending!.partialPath);
      partial[200_000]! ^= 1;
      writeFileSync(pending!.partialPath, partial);

      const requestsBefore = proxy.ranges.length;
      const err = await attachments.download(pointer, { path: out }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'AttachmentError', code: 'TAMPERED' });
      expect(readdirSync(dir)).toEqual([]);
      expect(await attachments.pendingDownloads()).toEqual([]);

      await attachments.download(pointer, { path: out });
      expect(proxy.ranges.slice(requestsBefore).at(-1)).toBe('');
      expect(sha(readFileSync(out))).toBe(sha(data));
      expect(readdirSync(dir)).toEqual(['out.bin']);
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it('a partial longer than the blob starts over; cancelDownload removes partial and state', async () => {
    const { data, pointer, dbPath, dir, out, proxy } = await brokenDownload(2 * 2 ** 20, 1_000_000);
    try {
      const { client, attachments } = await reopen(dbPath, proxy.url);
      const [pending] = await attachments.pendingDownloads();
      appendFileSync(pending!.partialPath, Buffer.alloc(ciphertextSize(data.length)));
      const requestsBefore = proxy.ranges.length;
      await attachments.download(pointer, { path: out });
      expect(proxy.ranges.slice(requestsBefore)).toEqual(['']);
      expect(sha(readFileSync(out))).toBe(sha(data));
      expect(readdirSync(dir)).toEqual(['out.bin']);
      expect(await attachments.pendingDownloads()).toEqual([]);

      // An aborted download keeps its partial (resumable) until it is cancelled.
      const abort = new AbortController();
      const other = join(dir, 'again.bin');
      const aborted = await attachments.download(pointer, { path: other }, { signal: abort.signal, onProgress: (p) => p.done > 500_000 && abort.abort() }).catch((e: unknown) => e);
      expect(aborted).toMatchObject({ code: 'ABORTED' });
      const [kept] = await attachments.pendingDownloads();
      expect(kept).toMatchObject({ destPath: other });
      expect(statSync(kept!.partialPath).size).toBe(kept!.received);
      expect(await attachments.cancelDownload(pointer)).toBe(true);
      expect(await attachments.pendingDownloads()).toEqual([]);
      expect(readdirSync(dir)).toEqual(['out.bin']);
      expect(await attachments.cancelDownload(pointer)).toBe(false);
      // A destination whose directory does not exist: a typed error and no state left.
      const missing = await attachments.download(pointer, { path: join(dir, 'no-such-dir', 'x.bin') }).catch((e: unknown) => e);
      expect(missing).toMatchObject({ name: 'AttachmentError', code: 'INVALID' });
      expect(await attachments.pendingDownloads()).toEqual([]);
      await client.close();
    } finally {
      await proxy.close();
    }
  });

  it('stream-sink downloads keep no state between runs (they restart from byte 0)', async () => {
    const sender = local.client();
    await sender.register();
    const pointer = await attachmentsOf(sender, local.services.blobUrl!).upload(randomBytes(2 * 2 ** 20));
    const proxy = await cuttingProxy(Number(new URL(local.services.blobUrl!).port));
    try {
      const receiver = local.client({ store: new SqliteStore(local.path('stream.sqlite')) });
      await receiver.ready();
      const attachments = attachmentsOf(receiver, proxy.url);
      proxy.cutNext(1_000_000, 'down');
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      const err = await attachments.download(pointer, sink, { maxAttempts: 1 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'NETWORK' });
      expect(await attachments.pendingDownloads()).toEqual([]);
      await receiver.close();
    } finally {
      await proxy.close();
    }
  });
});
