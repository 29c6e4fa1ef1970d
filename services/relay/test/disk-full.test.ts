/**
 * Issue 11.4 (disk): on a small tmpfs (mounted here; skipped with a message
 * where mount is not permitted) the relay refuses new envelopes with 507 +
 * Retry-After once free space falls under the watermark, while deliveries
 * and acknowledgements keep working — even when something else fills the
 * disk to the last byte (the reserve file is released so the deletion can
 * commit) — and acknowledged space is given back so sends resume.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveAccessKey } from '@sealpost/protocol';
import { fillFileSystem, freeBytes, mountTmpfs } from '@sealpost/devkit/services';
import { fakeSealed, newAccountId, startRelay, type RelayHarness } from './support/harness.ts';

const MiB = 1024 * 1024;
let mountPoint: string | undefined;
let mountError = '';
let unmount: (() => void) | undefined;

beforeAll(() => {
  const fs = mountTmpfs(12, 'relay-tmpfs-');
  if (fs.ok) {
    mountPoint = fs.dir;
    unmount = fs.unmount;
  } else mountError = fs.reason;
});
afterAll(() => unmount?.());

const fillDisk = (dir: string): string => fillFileSystem(dir);

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('disk full (issue 11.4)', () => {
  it('507 + Retry-After under the watermark; receive and ack still work on a completely full disk and free space', async (ctx) => {
    if (mountPoint === undefined) {
      ctx.skip(`cannot mount a tmpfs here (needs root): ${mountError}`);
      return;
    }
    let h: RelayHarness | undefined;
    try {
      h = await startRelay({
        dbPath: join(mountPoint, 'relay.sqlite'),
        limits: { minFreeDiskBytes: 3 * MiB, diskReserveBytes: 1 * MiB, diskCheckMs: 50, recipientSourceBytesBurst: 64 * MiB },
      });
      // The reserve is held from the start, next to the database.
      expect(statSync(join(mountPoint, 'relay.sqlite.reserve')).size).toBe(1 * MiB);
      const id = newAccountId();
      h.directory.accounts.set(id, [{ deviceId: 1, registrationId: 3 }]);
      const key = deriveAccessKey(new Uint8Array(randomBytes(32)));
      const cred = h.credential(id, 1);
      expect((await h.client.setAccessKey(id, cred, key)).status).toBe(204);
      const send = (i: number) => h!.client.send(id, key, [{ deviceId: 1, registrationId: 3, content: fakeSealed(i, 200 * 1024) }]);

      // Fill until the watermark refuses.
      let accepted = 0;
      let refused: Awaited<ReturnType<typeof send>> | undefined;
      for (let i = 0; i < 200 && refused === undefined; i++) {
        const r = await send(i);
        if (r.status === 200) accepted++;
        else refused = r;
        await settle(20);
      }
      expect(accepted).toBeGreaterThan(10);
      expect(refused?.status).toBe(507);
      expect(refused?.body.error).toMatchObject({ code: 'INSUFFICIENT_STORAGE' });
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);

      // Something else takes the rest of the disk, to the last block.
      const filler = fillDisk(mountPoint);
      expect(freeBytes(mountPoint)).toBeLessThan(64 * 1024);
      expect((await send(999)).status).toBe(507);

      // Deliveries: polling and the WebSocket both still serve the queue.
      const polled = await h.client.poll(cred, 10);
      expect(polled.status).toBe(200);
      expect(polled.body.messages).toHaveLength(10);
      const socket = await h.client.connect(cred, { autoAck: false });
      await socket.waitFor(() => socket.received.length >= 10);

      // Acknowledgements commit on the full disk (the reserve is released for them).
      const ack = await h.client.ack(cred, polled.body.messages.map((m) => m.id));
      expect(ack.status).toBe(200);
      expect(ack.body.acknowledged).toBe(10);
      socket.ack(socket.received.slice(10).map((e) => e.id));
      await socket.close();
      let rest = (await h.client.poll(cred, 100)).body.messages;
      while (rest.length > 0) {
        const r = await h.client.ack(cred, rest.map((m) => m.id));
        expect(r.status).toBe(200);
        rest = (await h.client.poll(cred, 100)).body.messages;
      }

      // Acknowledged space goes back to the file system (checkpoint + incremental vacuum) ...
      await settle(300);
      expect(freeBytes(mountPoint)).toBeGreaterThan(2 * MiB);
      // ... and once the other file is gone too, sends are accepted again.
      rmSync(filler);
      await settle(300);
      expect((await send(1000)).status).toBe(200);
    } finally {
      await h?.close();
    }
  });
});
