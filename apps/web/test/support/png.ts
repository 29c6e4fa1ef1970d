/** Reading screenshots in the tests: pixels (pngjs), distinct colours, QR codes (jsQR). */
import jsqrModule from 'jsqr';
import { PNG } from 'pngjs';

// jsqr is a CommonJS bundle: under Node its default import is the exports object, whose `default` is the function.
type Decode = typeof jsqrModule.default;
const jsQR: Decode = (jsqrModule as unknown as { default?: Decode }).default ?? (jsqrModule as unknown as Decode);

/** Number of distinct RGBA colours of a PNG (a blank screenshot has one or two). */
export function distinctColours(png: Uint8Array): number {
  const { data } = PNG.sync.read(Buffer.from(png));
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) colours.add(data.readUInt32BE(i));
  return colours.size;
}

/** The text of the QR code in a PNG, or undefined when none is found. */
export function readQr(png: Uint8Array): string | undefined {
  const image = PNG.sync.read(Buffer.from(png));
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data;
}
