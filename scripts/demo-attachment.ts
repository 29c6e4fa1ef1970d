/**
 * The demo's picture step (scripts/demo.ts): Alice sends Bob a photo made at
 * run time with EXIF (GPS, owner); Bob downloads and verifies it and finds
 * the metadata gone; then the blob service's directory is listed as it is
 * on disk — every stored file, its size and first bytes, and the tus record
 * beside it — and searched for the file name, both accounts and the content
 * type.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SealpostClient } from '@sealpost/client';
import { AttachmentClient, type AttachmentPointer } from '@sealpost/client/attachments';
import { sendFiles } from '@sealpost/client/media';
import sharp from 'sharp';

export interface PictureStepContext {
  alice: SealpostClient;
  bob: SealpostClient;
  /** Bob's other device (polled so it has the message too). */
  bobOther: SealpostClient;
  blobUrl: string;
  blobDir: string;
  workDir: string;
  style: { bold: (s: string) => string; dim: (s: string) => string; green: (s: string) => string };
  /** Records the sent line in the demo's user view. */
  sent: (text: string) => void;
}

const OWNER = 'Alice Example';
const FILE_NAME = 'alice-at-the-lake.jpg';

/** Runs the step; returns what the checks found (the demo test reads the printed lines). */
export async function pictureStep(ctx: PictureStepContext): Promise<void> {
  const { bold, dim, green } = ctx.style;
  const photoPath = join(ctx.workDir, FILE_NAME);
  const original = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#2f6f9f' } })
    .composite([{ input: Buffer.from('<svg width="1200" height="800"><circle cx="600" cy="400" r="240" fill="#f2c14e"/></svg>'), top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .withExif({ IFD0: { Copyright: OWNER, Make: 'DemoCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 3/1' } })
    .toFile(photoPath);
  const before = await sharp(photoPath).metadata();
  console.log(`  Alice's photo: ${original.width}×${original.height}, ${original.size} B, EXIF ${before.exif?.length ?? 0} B (GPS 48°51'24"N 2°21'3"E, owner "${OWNER}")`);

  const alice = new AttachmentClient({ keyServer: ctx.alice.keyServer, store: ctx.alice.store, blobUrl: ctx.blobUrl });
  let progress = { done: 0, total: 0, events: 0 };
  const r = await sendFiles(ctx.alice, alice, ctx.bob.address.account, [{ source: { path: photoPath }, fileName: FILE_NAME, caption: 'the lake' }], {
    text: 'Look where I am!',
    onProgress: (p) => (progress = { done: p.done, total: p.total, events: progress.events + 1 }),
  });
  ctx.sent('Look where I am! [photo: the lake]');
  const sentPointer = r.attachments[0]!;
  console.log(
    `  re-encoded without metadata (${sentPointer.width}×${sentPointer.height}, ${sentPointer.size} B) + a ${sentPointer.thumbnail!.width}×${sentPointer.thumbnail!.height} thumbnail as its own attachment; ` +
      `uploaded ${progress.done}/${progress.total} B encrypted (${progress.events} progress events)`,
  );

  let received: AttachmentPointer | undefined;
  const onMessage = (m: { content: { attachments?: AttachmentPointer[] } }) => (received ??= m.content.attachments?.[0]);
  ctx.bob.on('message', onMessage);
  await ctx.bob.poll();
  ctx.bob.off('message', onMessage);
  await ctx.bobOther.poll();
  if (received === undefined) throw new Error('Bob did not receive the picture');
  const bob = new AttachmentClient({ keyServer: ctx.bob.keyServer, store: ctx.bob.store, blobUrl: ctx.blobUrl });
  const savedPath = join(ctx.workDir, 'bob-received.jpg');
  await bob.download(received, { path: savedPath });
  const after = await sharp(savedPath).metadata();
  const bytes = readFileSync(savedPath);
  const exifGone = after.exif === undefined && !bytes.includes(OWNER) && !bytes.includes('DemoCam');
  console.log(
    `  Bob downloaded "${received.fileName}" (${received.contentType}, ${received.size} B): digest + MACs verified; ` +
      `${after.width}×${after.height}; ${exifGone ? green('no EXIF, no GPS, no owner') : 'EXIF STILL PRESENT'}`,
  );

  console.log(`\n  ${bold('What the blob server stored')} ${dim(`(${ctx.blobDir})`)}`);
  const names = readdirSync(ctx.blobDir).sort();
  const stored: Buffer[] = [];
  for (const name of names) {
    const path = join(ctx.blobDir, name);
    if (!statSync(path).isFile()) continue;
    const data = readFileSync(path);
    stored.push(data, Buffer.from(name));
    if (name.endsWith('.json')) console.log(`    ${name.padEnd(30)} tus record: ${data.toString('utf8')}`);
    else console.log(`    ${name.padEnd(30)} ${String(data.length).padStart(7)} B  ${data.subarray(0, 24).toString('hex')}…  (iv ‖ AES-CBC ‖ HMAC)`);
  }
  const all = Buffer.concat(stored);
  const lookFor: [string, string][] = [
    ['file name', FILE_NAME],
    ['caption', 'the lake'],
    ["Alice's account", ctx.alice.address.account],
    ["Bob's account", ctx.bob.address.account],
    ['content type', 'image/jpeg'],
    ['EXIF owner', OWNER],
  ];
  const found = lookFor.filter(([, s]) => all.includes(s));
  for (const [what, s] of lookFor) console.log(`    ${all.includes(s) ? 'FOUND' : green('✓ not stored')}: ${what} (${s})`);
  console.log(dim(`    ${names.length} files: ciphertext under a random 120-bit id, and a tus record with only id, size, offset and date; the key, name and type travel only in Alice's end-to-end encrypted message`));
  if (!exifGone || found.length > 0) throw new Error(`picture step failed: exif gone ${exifGone}, found ${found.map(([w]) => w).join(', ')}`);
}
