import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, isBlurhashValid } from 'blurhash';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptImageError, ImageTooLargeError, MediaError, UnsupportedImageError, prepareImage } from '../../src/media/index.ts';

const CANARY = 'sealpost-canary-owner';
const XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>${CANARY}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`;

/** A JPEG whose left half is red and right half blue, with EXIF (GPS, owner), XMP and a P3 ICC profile. */
async function photo(width: number, height: number, orientation = 1): Promise<Buffer> {
  const half = Math.floor(width / 2);
  const blue = await sharp({ create: { width: width - half, height, channels: 3, background: '#0000ff' } }).png().toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#ff0000' } })
    .composite([{ input: blue, left: half, top: 0 }])
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Copyright: CANARY, Make: 'TestCam' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 12/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 39/1' },
    })
    .withMetadata({ orientation })
    .withXmp(XMP)
    .withIccProfile('p3')
    .toBuffer();
}

async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

/** Component counts from a blurhash's size flag (its first base-83 digit). */
function blurhashSize(hash: string): { x: number; y: number } {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';
  const flag = digits.indexOf(hash[0]!);
  return { x: (flag % 9) + 1, y: Math.floor(flag / 9) + 1 };
}

async function rejection(p: Promise<unknown>): Promise<MediaError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MediaError);
  return e as MediaError;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-media-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prepareImage: metadata', () => {
  it('strips EXIF (GPS, owner), XMP and ICC from the image and its thumbnail', async () => {
    const input = await photo(640, 480);
    const before = await sharp(input).metadata();
    expect(before.exif).toBeDefined();
    const exif = exifReader(before.exif!);
    expect(exif.GPSInfo?.GPSLatitude).toEqual([51, 30, 12]);
    expect(exif.Image?.Copyright).toBe(CANARY);
    expect(before.xmp).toBeDefined();
    expect(before.icc).toBeDefined();

    const prepared = await prepareImage(input);
    for (const out of [prepared.data, prepared.thumbnail.data]) {
      const after = await sharp(out).metadata();
      expect(after.format).toBe('jpeg');
      expect(after.exif).toBeUndefined();
      expect(after.xmp).toBeUndefined();
      expect(after.icc).toBeUndefined();
      expect(after.iptc).toBeUndefined();
      expect(after.orientation).toBeUndefined();
      expect(out.includes(CANARY)).toBe(false);
      expect(out.includes('TestCam')).toBe(false);
    }
    expect(prepared.contentType).toBe('image/jpeg');
    expect([prepared.width, prepared.height]).toEqual([640, 480]);
  });

  it('applies the EXIF orientation before stripping it (orientation 6: rotate 90° clockwise)', async () => {
    const input = await photo(1200, 600, 6);
    expect((await sharp(input).metadata()).orientation).toBe(6);
    const prepared = await prepareImage(input);
    expect([prepared.width, prepared.height]).toEqual([600, 1200]);
    const meta = await sharp(prepared.data).metadata();
    expect([meta.width, meta.height]).toEqual([600, 1200]);
    // The stored left half (red) is on top once upright; the right half (blue) below.
    const top = await pixel(prepared.data, 300, 100);
    const bottom = await pixel(prepared.data, 300, 1100);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
    expect([prepared.thumbnail.width, prepared.thumbnail.height]).toEqual([128, 256]);
  });
});

describe('prepareImage: sizes, thumbnail, blurhash', () => {
  it('makes a thumbnail of at most 256 px on the longest side, keeping the aspect', async () => {
    const prepared = await prepareImage(await photo(1000, 400));
    const { thumbnail } = prepared;
    expect(thumbnail.width).toBe(256);
    expect(Math.abs(thumbnail.height - 102.4)).toBeLessThanOrEqual(1);
    const meta = await sharp(thumbnail.data).metadata();
    expect([meta.width, meta.height]).toEqual([thumbnail.width, thumbnail.height]);
    expect(thumbnail.contentType).toBe('image/jpeg');
    expect(thumbnail.data.length).toBeLessThan(prepared.data.length);
  });

  it('scales an image beyond maxDimension down and never enlarges a small one', async () => {
    const big = await prepareImage(await photo(1000, 400), { maxDimension: 500 });
    expect([big.width, big.height]).toEqual([500, 200]);
    const small = await prepareImage(await photo(60, 40));
    expect([small.width, small.height]).toEqual([60, 40]);
    expect([small.thumbnail.width, small.thumbnail.height]).toEqual([60, 40]);
  });

  it('produces a valid blurhash whose components follow the aspect and whose colour matches', async () => {
    const wide = await prepareImage(await photo(1000, 400));
    expect(isBlurhashValid(wide.blurhash)).toEqual({ result: true });
    expect(blurhashSize(wide.blurhash)).toEqual({ x: 4, y: 2 });
    const tall = await prepareImage(await photo(300, 900));
    expect(blurhashSize(tall.blurhash)).toEqual({ x: 1, y: 4 });

    const green = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#00c000' } }).jpeg().toBuffer();
    const solid = await prepareImage(green);
    expect(blurhashSize(solid.blurhash)).toEqual({ x: 4, y: 3 });
    const pixels = decode(solid.blurhash, 8, 6);
    expect(pixels.length).toBe(8 * 6 * 4);
    expect(pixels[1]!).toBeGreaterThan(150);
    expect(pixels[0]!).toBeLessThan(60);
    expect(pixels[2]!).toBeLessThan(60);
  });

  it('keeps transparency as WebP (image and thumbnail)', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.25 } } }).png().toBuffer();
    const prepared = await prepareImage(png);
    expect(prepared.contentType).toBe('image/webp');
    expect(prepared.thumbnail.contentType).toBe('image/webp');
    const meta = await sharp(prepared.data).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.hasAlpha).toBe(true);
  });

  it('reads a file path the same as bytes', async () => {
    const path = join(dir, 'photo.jpg');
    const input = await photo(400, 300, 6);
    await writeFile(path, input);
    const fromPath = await prepareImage(path);
    const fromObject = await prepareImage({ path });
    expect([fromPath.width, fromPath.height]).toEqual([300, 400]);
    expect(fromObject.blurhash).toBe(fromPath.blurhash);
    expect((await sharp(fromPath.data).metadata()).exif).toBeUndefined();
  });
});

describe('prepareImage: bad input', () => {
  it('rejects a truncated JPEG as corrupt', async () => {
    const input = await photo(640, 480);
    const e = await rejection(prepareImage(input.subarray(0, Math.floor(input.length / 2))));
    expect(e).toBeInstanceOf(CorruptImageError);
    expect(e.code).toBe('IMAGE_CORRUPT');
  });

  it('rejects a JPEG header followed by garbage as corrupt', async () => {
    const input = await photo(64, 64);
    const garbage = Buffer.concat([input.subarray(0, 200), Buffer.alloc(2000, 0x5a)]);
    expect((await rejection(prepareImage(garbage))).code).toBe('IMAGE_CORRUPT');
  });

  it('rejects empty input, random bytes, SVG and TIFF as unsupported or corrupt without decoding them', async () => {
    expect((await rejection(prepareImage(Buffer.alloc(0)))).code).toBe('IMAGE_CORRUPT');
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251));
    expect(await rejection(prepareImage(random))).toBeInstanceOf(UnsupportedImageError);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="https://example.com/x.png"/></svg>');
    expect((await rejection(prepareImage(svg))).code).toBe('IMAGE_UNSUPPORTED');
    const tiff = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).tiff().toBuffer();
    expect((await rejection(prepareImage(tiff))).code).toBe('IMAGE_UNSUPPORTED');
  });

  it('rejects input over the byte limit, as bytes and as a file', async () => {
    const input = await photo(640, 480);
    const e = await rejection(prepareImage(input, { maxInputBytes: input.length - 1 }));
    expect(e).toBeInstanceOf(ImageTooLargeError);
    expect((e as ImageTooLargeError).limit).toBe('bytes');
    const path = join(dir, 'big.jpg');
    await writeFile(path, input);
    expect(((await rejection(prepareImage(path, { maxInputBytes: 1000 }))) as ImageTooLargeError).limit).toBe('bytes');
    expect((await prepareImage(path, { maxInputBytes: input.length })).width).toBe(640);
  });

  it('rejects an image over the pixel limit (small file, many pixels) before decoding it', async () => {
    const bomb = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#fff' } }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(200_000);
    const e = await rejection(prepareImage(bomb, { maxInputPixels: 10_000_000 }));
    expect(e).toBeInstanceOf(ImageTooLargeError);
    expect((e as ImageTooLargeError).limit).toBe('pixels');
    expect(e.message).toContain('4000×4000');
  });
});
