/** Files in the terminal chat: `/send-file PATH` on one profile, the listing and `/save N [PATH]` on the other. */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { safeFileName } from './chat-files.ts';
import { startChat, type ChatProcess } from './test-support/chat-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'sealpost-chat-files-'));
const state = join(dir, 'state');
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const start = (args: string[]): ChatProcess => startChat(args, state, children);
const exited = (c: ChildProcessWithoutNullStreams) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)));
const CANARY = 'chat-files-gps-owner';

describe('terminal chat: files', () => {
  it('/send-file sends a photo (EXIF stripped) and a binary; the peer lists name, size and type and /save writes verified 0600 files', async () => {
    const photo = join(dir, 'holiday.jpg');
    writeFileSync(
      photo,
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#a04020' } })
        .jpeg()
        .withExif({ IFD0: { Copyright: CANARY }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1' } })
        .toBuffer(),
    );
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const binary = join(dir, 'report.pdf');
    const binaryBytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(50_000, 0xa5)]);
    writeFileSync(binary, binaryBytes);

    const serve = start(['serve', '--keyserver-port', '0', '--relay-port', '0', '--blob-port', '0']);
    await serve.waitFor(/Ctrl-C to stop/);
    const bob = start(['bob', 'alice']);
    await bob.waitFor(/chatting as bob/);
    const alice = start(['alice', 'bob']);
    await alice.waitFor(/chatting as alice/);
    alice.child.stdin.write(`/send-file ${photo}\n`);
    await alice.waitFor(/sent holiday\.jpg \(as an unnamed image\) \([\d.]+ kB, image\/jpeg, re-encoded without metadata, with thumbnail/);
    const [, photoLine] = await bob.waitFor(/(\[1\] \(no name\) \([\d.]+ kB, image\/jpeg, 640×480\)) — \/save 1/);
    expect(photoLine).toBeDefined();
    alice.child.stdin.write(`/send-file ${binary}\n`);
    await bob.waitFor(/\[2\] report\.pdf \(50\.0 kB, application\/pdf\) — \/save 2/);
    alice.child.stdin.write('/send-file /no/such/file\n');
    await alice.waitFor(/no such file: \/no\/such\/file/);

    bob.child.stdin.write('/save 1\n');
    const [, saved1] = await bob.waitFor(/saved \[1\] to (\S+) \([\d.]+ kB, verified\)/);
    const target = join(dir, 'out.pdf');
    bob.child.stdin.write(`/save 2 ${target}\n`);
    await bob.waitFor(/saved \[2\] to \S+out\.pdf \(50\.0 kB, verified\)/);
    bob.child.stdin.write(`/save 2 ${target}\n`);
    await bob.waitFor(/out\.pdf exists; not overwritten/);
    bob.child.stdin.write('/save 9\n');
    await bob.waitFor(/no attachment 9 \(2 received\)/);

    expect(saved1).toBe(join(state, 'bob-files', 'attachment-1.jpg'));
    const image = readFileSync(saved1!);
    const meta = await sharp(image).metadata();
    expect([meta.width, meta.height, meta.exif]).toEqual([640, 480, undefined]);
    expect(image.includes(CANARY)).toBe(false);
    expect(readFileSync(target).equals(binaryBytes)).toBe(true);
    for (const f of [saved1!, target]) expect((statSync(f).mode & 0o777).toString(8), f).toBe('600');
    expect((statSync(join(state, 'bob-files')).mode & 0o777).toString(8)).toBe('700');
    // No partial files left; the blob store holds no plaintext name or canary.
    expect(readdirSync(join(state, 'bob-files'))).toEqual(['attachment-1.jpg']);
    for (const f of readdirSync(join(state, 'blobs'), { recursive: true, encoding: 'utf8' })) {
      const p = join(state, 'blobs', f);
      if (!statSync(p).isFile()) continue;
      const bytes = readFileSync(p);
      expect(bytes.includes(CANARY) || bytes.includes('report.pdf') || bytes.includes('%PDF'), p).toBe(false);
    }

    for (const p of [alice, bob]) p.child.stdin.write('/quit\n');
    await Promise.all([alice, bob].map(({ child }) => exited(child)));
    expect([alice.child.exitCode, bob.child.exitCode]).toEqual([0, 0]);
    serve.child.kill('SIGTERM');
    await exited(serve.child);
  });

  it('sanitises sender-chosen file names', () => {
    const p = { cdnKey: 'k', contentType: 'application/pdf', key: new Uint8Array(64), size: 1, digest: new Uint8Array(32) };
    expect(safeFileName({ ...p, fileName: '../../etc/passwd' }, 1)).toBe('passwd');
    expect(safeFileName({ ...p, fileName: '.bashrc' }, 2)).toBe('bashrc');
    expect(safeFileName({ ...p, fileName: 'a\u0007b\u202e.pdf' }, 3)).toBe('a_b_.pdf');
    expect(safeFileName({ ...p, fileName: '..' }, 4)).toBe('attachment-4.pdf');
    expect(safeFileName(p, 5)).toBe('attachment-5.pdf');
  });
});
