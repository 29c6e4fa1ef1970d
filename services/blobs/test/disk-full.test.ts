/**
 * Disk full on a real (small) file system: a tmpfs mounted here (skipped
 * with a message where mount is not permitted). Creations are refused with
 * 507 when the free space would fall under the floor; a write that the file
 * system itself refuses (ENOSPC: something else filled the disk after the
 * upload was admitted) is answered 507 too, not 500; and once space is freed
 * the same upload resumes from its offset and completes, byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fillFileSystem, freeBytes, mountTmpfs } from '@sealpost/devkit/services';
import { capability, create, errorCode, offsetOf, patch, raw, startBlobServer, tus } from './helpers.ts';

const MiB = 1024 * 1024;
let dir: string | undefined;
let mountError = '';
let unmount: (() => void) | undefined;
beforeAll(() => {
  const fs = mountTmpfs(10, 'blobs-tmpfs-');
  if (fs.ok) {
    dir = fs.dir;
    unmount = fs.unmount;
  } else mountError = fs.reason;
});
afterAll(() => unmount?.());

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!().catch(() => undefined);
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('blob service on a full disk (tmpfs)', () => {
  it('507 under the free-space floor and on ENOSPC mid-write; the upload resumes and completes once space is freed', async (ctx) => {
    if (dir === undefined) {
      ctx.skip(`cannot mount a tmpfs here (needs root): ${mountError}`);
      return;
    }
    const store = join(dir, 'blobs');
    const s = await startBlobServer({ minFreeDiskBytes: 1 * MiB }, { directory: store });
    closers.push(() => s.app.close());

    // The floor, from the file system's own free space: 6 MiB fit, a second 6 MiB does not.
    const first = capability();
    const firstData = randomBytes(6 * MiB);
    expect((await create(s.url, first.token, firstData.length, firstData)).status).toBe(201);
    const second = capability();
    const refused = await create(s.url, second.token, 6 * MiB);
    expect(refused.status).toBe(507);
    expect(errorCode(refused)).toBe('INSUFFICIENT_STORAGE');
    expect((await raw(`${s.url}/v1/blobs/${first.key}`, 'DELETE', tus(first.token))).status).toBe(204);

    // Admitted while there was room, then something else takes the disk: the write fails with ENOSPC → 507.
    const data = randomBytes(3 * MiB);
    expect((await create(s.url, second.token, data.length)).status).toBe(201);
    const filler = fillFileSystem(dir);
    expect(freeBytes(dir)).toBeLessThan(64 * 1024);
    const failed = await patch(s.url, second.key, second.token, 0, data);
    expect(failed.status).toBe(507);
    expect(errorCode(failed)).toBe('INSUFFICIENT_STORAGE');
    // Still serving.
    expect((await raw(`${s.url}/health`, 'GET', {})).status).toBe(200);

    // Space comes back: resume from wherever the store got to, and finish.
    rmSync(filler);
    const offset = await offsetOf(s.url, second.key, second.token);
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(data.length);
    expect((await patch(s.url, second.key, second.token, offset, data.subarray(offset))).status).toBe(204);
    const got = await raw(`${s.url}/v1/blobs/${second.key}`, 'GET', {});
    expect(got.status).toBe(200);
    expect(sha(got.body)).toBe(sha(data));
  });
});
