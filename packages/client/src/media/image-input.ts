/**
 * Reads an image input (bytes or a file path) into memory with a byte cap:
 * a file is opened once and read to its end in chunks, stopping one byte past
 * the cap, so a file that grows after `stat` is still refused.
 */
import { open } from 'node:fs/promises';
import { CorruptImageError, ImageTooLargeError } from './errors.ts';

const READ_CHUNK = 1 << 20;

/** An image given as its bytes or as a file path. */
export type ImageInput = Uint8Array | string | { path: string };

function tooLarge(maxBytes: number): ImageTooLargeError {
  return new ImageTooLargeError('bytes', maxBytes, `image input exceeds ${maxBytes} bytes`);
}

/** The input's bytes (a copy is not made for byte inputs), at most `maxBytes`. */
export async function readImageInput(input: ImageInput, maxBytes: number): Promise<Buffer> {
  if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw tooLarge(maxBytes);
    if (input.byteLength === 0) throw new CorruptImageError('image input is empty');
    return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  const path = typeof input === 'string' ? input : input.path;
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(maxBytes);
    // Read to EOF in chunks rather than trusting `size`: the file may change.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    if (total === 0) throw new CorruptImageError('image input is empty');
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
