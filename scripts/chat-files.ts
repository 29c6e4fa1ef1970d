/**
 * Files in the terminal chat (scripts/chat.ts): `/send-file PATH` sends a
 * file as an encrypted attachment (images re-encoded without EXIF, with a
 * thumbnail: `sendFiles` of @sealpost/client/media); incoming attachments
 * are listed with a number, name, size and type, and `/save N [PATH]`
 * downloads and verifies one (the file appears only once verified, mode
 * 0600) — by default into `<state dir>/<profile>-files/` (mode 0700) under
 * its sanitised name, never overwriting an existing file.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { SealpostClient } from '@sealpost/client';
import { AttachmentClient, type AttachmentPointer } from '@sealpost/client/attachments';
import { sendFiles } from '@sealpost/client/media';

/** A human size: 1234 → "1.2 kB". */
export function humanSize(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

const EXT: Record<string, string> = { 'image/jpeg': '.jpg', 'image/webp': '.webp', 'image/png': '.png', 'application/pdf': '.pdf', 'text/plain': '.txt' };

/** A file name safe to create locally from a sender-chosen one (no directories, no control or odd characters, no leading dot). */
export function safeFileName(pointer: AttachmentPointer, n: number): string {
  const given = basename((pointer.fileName ?? '').replace(/\\/g, '/'))
    .replace(/[^\p{L}\p{N} ._()+-]/gu, '_')
    .replace(/^[.\s]+/, '')
    .slice(0, 120);
  if (given !== '') return given;
  return `attachment-${n}${EXT[pointer.contentType] ?? ''}`;
}

/** The line shown for an incoming attachment. */
export function describeAttachment(pointer: AttachmentPointer, n: number): string {
  const dims = pointer.width !== undefined && pointer.height !== undefined ? `, ${pointer.width}×${pointer.height}` : '';
  const caption = pointer.caption === undefined ? '' : ` “${pointer.caption}”`;
  return `[${n}] ${pointer.fileName ?? '(no name)'} (${humanSize(pointer.size)}, ${pointer.contentType}${dims})${caption} — /save ${n} [PATH]`;
}

function uniquePath(dir: string, name: string): string {
  let candidate = join(dir, name);
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let i = 1; existsSync(candidate); i++) candidate = join(dir, `${stem} (${i})${ext}`);
  return candidate;
}

/** The chat's file side for one profile. */
export class ChatFiles {
  private readonly attachments: AttachmentClient;
  private readonly received: AttachmentPointer[] = [];

  constructor(
    private readonly client: SealpostClient,
    blobUrl: string,
    private readonly saveDir: string,
  ) {
    this.attachments = new AttachmentClient({ keyServer: client.keyServer, store: client.store, blobUrl });
  }

  /** Records a message's attachments; returns the lines to print. */
  incoming(pointers: readonly AttachmentPointer[] | undefined): string[] {
    return (pointers ?? []).map((p) => {
      this.received.push(p);
      return `  ${describeAttachment(p, this.received.length)}`;
    });
  }

  /** `/send-file PATH`: uploads and sends; returns the line to print. */
  async send(to: string, path: string): Promise<string> {
    const file = resolve(path);
    const st = await stat(file).catch(() => undefined);
    if (st === undefined || !st.isFile()) return `no such file: ${path}`;
    let last = 0;
    const r = await sendFiles(this.client, this.attachments, to, [{ source: { path: file } }], {
      onProgress: (p) => (last = p.total),
    });
    const a = r.attachments[0]!;
    return `sent ${basename(file)}${a.fileName === undefined ? ' (as an unnamed image)' : ''} (${humanSize(a.size)}, ${a.contentType}${a.thumbnail === undefined ? '' : ', re-encoded without metadata, with thumbnail'}; ${humanSize(last)} uploaded encrypted)`;
  }

  /** `/save N [PATH]`: downloads attachment N (1-based) and verifies it; returns the line to print. */
  async save(args: string): Promise<string> {
    const m = /^(\d+)(?:\s+(.+))?$/.exec(args.trim());
    if (m === null) return 'usage: /save N [PATH]';
    const n = Number(m[1]);
    const pointer = this.received[n - 1];
    if (pointer === undefined) return `no attachment ${n} (${this.received.length} received)`;
    let dest: string;
    if (m[2] !== undefined) {
      dest = resolve(m[2]);
      if (existsSync(dest)) return `${dest} exists; not overwritten`;
    } else {
      if (mkdirSync(this.saveDir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(this.saveDir, 0o700);
      dest = uniquePath(this.saveDir, safeFileName(pointer, n));
    }
    const { size } = await this.attachments.download(pointer, { path: dest });
    chmodSync(dest, 0o600);
    return `saved [${n}] to ${dest} (${humanSize(size)}, verified)`;
  }
}
