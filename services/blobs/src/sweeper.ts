/**
 * Expiry: completed blobs live `blobTtlMs` from completion, incomplete
 * uploads `incompleteTtlMs` from creation; half-written pairs (data without
 * record or the reverse) are removed once older than the incomplete TTL.
 * Each sweep also recounts the bytes reserved against the disk cap.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobDirectory } from './blob-directory.ts';
import type { BlobSettings } from './settings.ts';

/** True when a blob is past its lifetime at `now`. */
export function isExpired(info: { complete: boolean; createdMs: number; modifiedMs: number }, settings: BlobSettings, now: number): boolean {
  return info.complete ? now >= info.modifiedMs + settings.blobTtlMs : now >= info.createdMs + settings.incompleteTtlMs;
}

/** One sweep; returns how many blobs were deleted. */
export async function sweepExpired(dir: BlobDirectory, settings: BlobSettings, now: number): Promise<number> {
  let deleted = 0;
  let reserved = 0;
  for (const key of await dir.keys()) {
    const info = await dir.info(key);
    if (info === undefined) {
      // A stray half (crash between the two writes of creation): drop it once it is old.
      const st = await stat(join(dir.directory, key)).catch(() => stat(join(dir.directory, `${key}.json`))).catch(() => undefined);
      if (st !== undefined && now >= st.mtimeMs + settings.incompleteTtlMs) {
        await dir.remove(key, 0);
        deleted++;
      }
      continue;
    }
    if (isExpired(info, settings, now)) {
      await dir.remove(key, 0);
      deleted++;
    } else {
      reserved += Math.max(info.length, info.offset);
    }
  }
  dir.setReserved(reserved);
  return deleted;
}
