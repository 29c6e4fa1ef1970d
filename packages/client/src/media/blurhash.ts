/**
 * BlurHash of an image: sharp downscales it to at most 32 px on its longest
 * side as raw RGBA, and the `blurhash` package encodes that. The component
 * counts follow the aspect ratio (4 along the longer side), so the hash's
 * own size flag tells a receiver the rough shape before it has the image.
 */
import { encode } from 'blurhash';
import type { SharpFactory } from './sharp-loader.ts';

const SAMPLE_SIDE = 32;
const LONG_COMPONENTS = 4;

/** Components along x and y for a width × height image (1–4 each, 4 on the longer side). */
export function blurhashComponents(width: number, height: number): { x: number; y: number } {
  const short = (side: number, long: number) => Math.max(1, Math.min(LONG_COMPONENTS, Math.round((LONG_COMPONENTS * side) / long)));
  return width >= height ? { x: LONG_COMPONENTS, y: short(height, width) } : { x: short(width, height), y: LONG_COMPONENTS };
}

/** BlurHash of an already decoded-safe image (the re-encoded output of prepareImage). */
export async function blurhashOf(sharp: SharpFactory, image: Buffer): Promise<string> {
  const { data, info } = await sharp(image)
    .resize({ width: SAMPLE_SIDE, height: SAMPLE_SIDE, fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { x, y } = blurhashComponents(info.width, info.height);
  return encode(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, x, y);
}
