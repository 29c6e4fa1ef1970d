import { describe, expect, it, vi } from 'vitest';

describe('prepareImage without sharp', () => {
  it('fails with ImageProcessorUnavailableError (IMAGE_PROCESSOR_UNAVAILABLE) when sharp cannot be loaded', async () => {
    vi.resetModules();
    vi.doMock('sharp', () => {
      throw new Error('Could not load the "sharp" module using the linux-x64 runtime');
    });
    const { prepareImage } = await import('../../src/media/prepare-image.ts');
    const { ImageProcessorUnavailableError } = await import('../../src/media/errors.ts');
    // A valid PNG signature + IHDR so the sniffer accepts it and the loader is reached.
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    const e = await prepareImage(png).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ImageProcessorUnavailableError);
    expect((e as InstanceType<typeof ImageProcessorUnavailableError>).code).toBe('IMAGE_PROCESSOR_UNAVAILABLE');
    vi.doUnmock('sharp');
  });
});
