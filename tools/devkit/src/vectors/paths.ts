/** Where the vector sets live. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tools/devkit/src/vectors is four levels below it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/**
 * The directory holding the published sets: $SEALPOST_VECTORS_DIR, else
 * ../shared/test-vectors relative to the repository root.
 */
export function publishedVectorsDir(): string {
  const fromEnv = process.env['SEALPOST_VECTORS_DIR'];
  return fromEnv !== undefined && fromEnv !== '' ? path.resolve(fromEnv) : path.resolve(REPO_ROOT, '..', 'shared', 'test-vectors');
}

/** The project's own transcribed known answers. */
export const OWN_VECTORS_DIR = path.join(REPO_ROOT, 'test-vectors');
