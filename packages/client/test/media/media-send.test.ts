import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isBlurhashValid } from 'blurhash';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentPointer, LinkPreview } from '../../src/attachments/index.ts';
import { fetchLinkPreview } from '../../src/media/link-preview.ts';
import { uploadImage, uploadLinkPreview } from '../../src/media/media-upload.ts';
import { attachmentPeers } from '../support/attachment-peers.ts';
import { useLocalServices } from '../support/local-services.ts';
import { makeCertificate, startHttpsSite, type HttpsSite, type TestCertificate } from './support/local-sites.ts';

const local = useLocalServices({ services: { blobs: true } });
const { attachmentsOf, download, pair } = attachmentPeers(local);
const CANARY = 'media-send-canary-owner';




function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((p) => statSync(p).isFile());
}

async function photoWithGps(width: number, height: number, orientation: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#208040' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: CANARY }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1' } })
    .withMetadata({ orientation })
    .toBuffer();
}

let certificate: TestCertificate;
let site: HttpsSite;
let sitePhoto: Buffer;
beforeAll(async () => {
  certificate = await makeCertificate();
  sitePhoto = await photoWithGps(600, 300, 1);
  site = await startHttpsSite(certificate, {
    '/article': (_q, res) => {
      const body = '<html><head><meta property="og:title" content="An article"><meta property="og:description" content="About things"><meta property="og:image" content="/lead.jpg"></head></html>';
      res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    },
    '/lead.jpg': (_q, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(sitePhoto),
  });
});
afterAll(async () => {
  await site?.close();
});


describe('media through encrypted attachments (key server + relay + blob service)', () => {
  it('sends a photo re-encoded without EXIF/GPS, upright, with its thumbnail as its own attachment and a blurhash', async () => {
    const { alice, bob } = await pair();
    const pointer = await uploadImage(attachmentsOf(alice), await photoWithGps(900, 600, 6), { caption: 'the view' });
    expect(pointer).toMatchObject({ contentType: 'image/jpeg', width: 600, height: 900, caption: 'the view' });
    expect(pointer.fileName).toBeUndefined();
    expect(pointer.thumbnail).toMatchObject({ contentType: 'image/jpeg', width: 171, height: 256 });
    expect(pointer.thumbnail!.cdnKey).not.toBe(pointer.cdnKey);
    await alice.send(bob.address.account, { text: 'photo', attachments: [pointer] });

    const got: { attachments?: AttachmentPointer[] }[] = [];
    bob.on('message', (m) => got.push(m.content as { attachments?: AttachmentPointer[] }));
    expect(await bob.poll()).toBe(1);
    const received = got[0]!.attachments![0]!;
    expect(isBlurhashValid(received.blurHash!).result).toBe(true);
    const image = await download(bob, received);
    const thumbnail = await download(bob, received.thumbnail!);
    for (const [bytes, w, h] of [[image, 600, 900], [thumbnail, 171, 256]] as const) {
      const meta = await sharp(bytes).metadata();
      expect([meta.width, meta.height, meta.exif, meta.orientation]).toEqual([w, h, undefined, undefined]);
      expect(bytes.includes(CANARY)).toBe(false);
    }
    // The blob service holds ciphertext only: the canary is in no stored file.
    for (const file of filesUnder(local.services.blobDir!)) expect(readFileSync(file).includes(CANARY), file).toBe(false);
  });

  it('sends a link preview fetched by the sender; the recipient gets title, description and the image as an attachment', async () => {
    const { alice, bob } = await pair();
    const fetched = await fetchLinkPreview(`${site.origin}/article`, { allowPrivateHosts: ['127.0.0.1'], ca: certificate.cert, timeoutMs: 8000 });
    const requestsAfterFetch = site.requests.length;
    const preview = await uploadLinkPreview(attachmentsOf(alice), fetched, { now: () => 1_700_000_000_000 });
    const url = `${site.origin}/article`;
    await alice.send(bob.address.account, { text: `look ${url}`, previews: [preview] });

    const got: { previews?: LinkPreview[] }[] = [];
    bob.on('message', (m) => got.push(m.content as { previews?: LinkPreview[] }));
    expect(await bob.poll()).toBe(1);
    const received = got[0]!.previews![0]!;
    expect(received).toMatchObject({ url, title: 'An article', description: 'About things', date: 1_700_000_000_000 });
    const image = await download(bob, received.image!);
    const meta = await sharp(image).metadata();
    expect([meta.width, meta.height, meta.exif]).toEqual([600, 300, undefined]);
    expect((await download(bob, received.image!.thumbnail!)).length).toBeGreaterThan(0);
    // The recipient never contacted the site.
    expect(site.requests.length).toBe(requestsAfterFetch);
  });
});
