/**
 * Loads `sharp` on first use. It is an optional dependency (its prebuilt
 * libvips binaries come as per-platform `@img/*` packages), so the client
 * installs and runs text messaging on platforms without it; only image
 * preparation then fails, with `ImageProcessorUnavailableError`.
 */
import type sharpNamespace from 'sharp';
import { ImageProcessorUnavailableError } from './errors.ts';

export type SharpFactory = typeof sharpNamespace;

let loaded: Promise<SharpFactory> | undefined;

/** The `sharp` factory, or `ImageProcessorUnavailableError`. */
export function loadSharp(): Promise<SharpFactory> {
  loaded ??= import('sharp').then(
    (m) => m.default,
    (e: unknown) => {
      loaded = undefined;
      throw new ImageProcessorUnavailableError({ cause: e });
    },
  );
  return loaded;
}
