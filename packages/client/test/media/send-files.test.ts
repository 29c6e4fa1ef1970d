import { readFileSync, writeFileSync } from 'node:fs';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { ciphertextSize } from '@sealpost/protocol/attachments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentPointer, LinkPreview } from '../../src/attachments/index.ts';
import type { SealpostClient } from '../../src/client.ts';
import { firstHttpsUrl, sendFiles, type SendFilesProgress } from '../../src/media/send-files.ts';
import { attachmentPeers } from '../support/attachment-peers.ts';
import { useLocalServices } from '../support/local-services.ts';
import { makeCertificate, startHttpsSite, type HttpsSite, type TestCertificate } from './support/local-sites.ts';

const local = useLocalServices({ services: { blobs: true } });
const { attachmentsOf, download, pair } = attachmentPeers(local);
const CANARY = 'send-files-canary-owner';




const photoWithGps = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#3060a0' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: CANARY }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1' } })
    .toBuffer();


async function receive(bob: SealpostClient): Promise<{ text?: string; attachments?: AttachmentPointer[]; previews?: LinkPreview[] }> {
  const got: { text?: string; attachments?: AttachmentPointer[]; previews?: LinkPreview[] }[] = [];
  bob.on('message', (m) => got.push(m.content as (typeof got)[number]));
  expect(await bob.poll()).toBe(1);
  return got[0]!;
}

let certificate: TestCertificate;
let site: HttpsSite;
beforeAll(async () => {
  certificate = await makeCertificate();
  const lead = await photoWithGps(400, 200);
  site = await startHttpsSite(certificate, {
    '/post': (_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><meta property="og:title" content="A post"><meta property="og:image" content="/lead.jpg"></head></html>'),
    '/lead.jpg': (_q, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(lead),
  });
});
afterAll(async () => {
  await site?.close();
});

describe('sendFiles: files, images and a link preview in one message (key server + relay + blob service)', () => {
  it('sends a JPEG with EXIF GPS and a PDF-ish binary in one message; the image arrives without EXIF, with its thumbnail; progress reaches the total', async () => {
    const { alice, bob } = await pair();
    const jpeg = await photoWithGps(800, 600);
    expect(exifReader(Buffer.from((await sharp(jpeg).metadata()).exif!)).GPSInfo?.GPSLatitudeRef).toBe('N');
    const pdfPath = local.path('report.pdf');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), Buffer.alloc(200_000, 7), Buffer.from('\n%%EOF\n')]);
    writeFileSync(pdfPath, pdf);
    const photoPath = local.path('IMG_0001.jpg');
    writeFileSync(photoPath, jpeg);
    const progress: SendFilesProgress[] = [];
    const result = await sendFiles(alice, attachmentsOf(alice), bob.address.account, [{ source: { path: photoPath }, caption: 'the lake' }, { source: { path: pdfPath } }], {
      text: 'two files',
      onProgress: (p) => progress.push(p),
    });
    expect(result.attachments).toHaveLength(2);
    const last = progress.at(-1)!;
    expect(last.done).toBe(last.total);
    expect(progress.every((p) => p.total === last.total && p.done <= p.total)).toBe(true);
    // image + its thumbnail + the PDF, in ciphertext bytes; never going backwards
    const [img, doc] = result.attachments;
    expect(last.total).toBe(ciphertextSize(img!.size) + ciphertextSize(img!.thumbnail!.size) + ciphertextSize(doc!.size));
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).toBe(true);
    expect(new Set(progress.map((p) => p.file))).toEqual(new Set([0, 1]));

    const got = await receive(bob);
    expect(got.text).toBe('two files');
    const [image, file] = got.attachments!;
    expect(image).toMatchObject({ contentType: 'image/jpeg', width: 800, height: 600, caption: 'the lake' });
    expect(image!.fileName).toBeUndefined();
    expect(image!.blurHash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,}$/);
    expect(image!.thumbnail).toMatchObject({ contentType: 'image/jpeg', width: 256, height: 192 });
    expect(file).toMatchObject({ contentType: 'application/pdf', fileName: 'report.pdf', size: pdf.length });
    const imageBytes = await download(bob, image!);
    const meta = await sharp(imageBytes).metadata();
    expect([meta.width, meta.height, meta.exif]).toEqual([800, 600, undefined]);
    expect(imageBytes.includes(CANARY)).toBe(false);
    expect((await sharp(await download(bob, image!.thumbnail!)).metadata()).width).toBe(256);
    expect((await download(bob, file!)).equals(readFileSync(pdfPath))).toBe(true);
  });

  it('sends bytes and streams with given types; image/* bytes are re-encoded, raw ones are not', async () => {
    const { alice, bob } = await pair();
    const jpeg = await photoWithGps(64, 32);
    const data = Buffer.from('plain text attachment\n');
    await sendFiles(alice, attachmentsOf(alice), bob.address.account, [
      { source: jpeg, contentType: 'image/jpeg' },
      { source: jpeg, contentType: 'image/jpeg', raw: true, fileName: 'original.jpg' },
      { source: { stream: (async function* () { yield data; })(), size: data.length }, contentType: 'text/plain', fileName: 'notes.txt' },
    ]);
    const got = await receive(bob);
    const [prepared, raw, text] = got.attachments!;
    expect(prepared!.thumbnail).toBeDefined();
    expect((await download(bob, prepared!)).includes(CANARY)).toBe(false);
    expect(raw!.thumbnail).toBeUndefined();
    expect((await download(bob, raw!)).equals(jpeg)).toBe(true);
    expect(text).toMatchObject({ contentType: 'text/plain', fileName: 'notes.txt' });
    expect((await download(bob, text!)).toString()).toBe(data.toString());
  });

  it('opt-in link preview: the sender fetches the page, its image travels as an attachment; a refused preview leaves the message without one', async () => {
    const { alice, bob } = await pair();
    const url = `${site.origin}/post`;
    expect(firstHttpsUrl(`see ${url}.`)).toBe(url);
    const progress: SendFilesProgress[] = [];
    const r = await sendFiles(alice, attachmentsOf(alice), bob.address.account, [], {
      text: `see ${url}`,
      linkPreview: { allowPrivateHosts: ['127.0.0.1'], ca: certificate.cert, timeoutMs: 8000 },
      onProgress: (p) => progress.push(p),
    });
    expect(r.previewError).toBeUndefined();
    expect(progress.at(-1)).toMatchObject({ file: -1, done: progress.at(-1)!.total });
    const got = await receive(bob);
    expect(got.previews![0]).toMatchObject({ url, title: 'A post' });
    const img = await download(bob, got.previews![0]!.image!);
    expect((await sharp(img).metadata()).exif).toBeUndefined();

    const requests = site.requests.length;
    const refused = await sendFiles(alice, attachmentsOf(alice), bob.address.account, [], { text: `see ${url}`, linkPreview: true });
    expect(refused.previewError?.code).toBe('PREVIEW_DESTINATION_BLOCKED');
    expect(site.requests.length).toBe(requests);
    const plain = await receive(bob);
    expect(plain.text).toBe(`see ${url}`);
    expect(plain.previews ?? []).toEqual([]);
    // Without linkPreview nothing is fetched.
    await sendFiles(alice, attachmentsOf(alice), bob.address.account, [], { text: `see ${url}` });
    expect(site.requests.length).toBe(requests);
  });

  it('refuses an unsupported image type with a typed error and sends nothing', async () => {
    const { alice, bob } = await pair();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
    await expect(sendFiles(alice, attachmentsOf(alice), bob.address.account, [{ source: svg, contentType: 'image/svg+xml' }])).rejects.toMatchObject({ code: 'IMAGE_UNSUPPORTED' });
    expect(await bob.poll()).toBe(0);
  });
});
