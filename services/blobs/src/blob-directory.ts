/**
 * The blob directory as @tus/file-store lays it out: `<dir>/<key>` holds the
 * ciphertext and `<dir>/<key>.json` the tus upload record (id, size, creation
 * date; no names — Upload-Metadata is refused — and no account). This file
 * answers what the download route and the sweeper need, and keeps the
 * byte count that the disk cap is checked against.
 */
import { readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { isBlobKey } from '@sealpost/protocol';

export interface BlobInfo {
  key: string;
  /** Declared Upload-Length. */
  length: number;
  /** Bytes on disk so far. */
  offset: number;
  createdMs: number;
  /** Last write (for a complete blob: its completion). */
  modifiedMs: number;
  complete: boolean;
}

export class BlobDirectory {
  /** Bytes reserved by existing uploads (their declared lengths). */
  private reserved = 0;

  constructor(readonly directory: string) {}

  path(key: string): string {
    if (!isBlobKey(key)) throw new RangeError('not a blob key');
    return join(this.directory, key);
  }

  async info(key: string): Promise<BlobInfo | undefined> {
    if (!isBlobKey(key)) return undefined;
    try {
      const record = JSON.parse(await readFile(join(this.directory, `${key}.json`), 'utf8')) as { size?: unknown; creation_date?: unknown };
      const st = await stat(join(this.directory, key));
      const length = typeof record.size === 'number' ? record.size : -1;
      const createdMs = typeof record.creation_date === 'string' ? Date.parse(record.creation_date) : st.birthtimeMs;
      return { key, length, offset: st.size, createdMs, modifiedMs: st.mtimeMs, complete: length >= 0 && st.size === length };
    } catch {
      return undefined;
    }
  }

  /** True when either file of `key` exists. */
  async exists(key: string): Promise<boolean> {
    for (const p of [join(this.directory, key), join(this.directory, `${key}.json`)]) {
      try {
        await stat(p);
        return true;
      } catch {
        /* absent */
      }
    }
    return false;
  }

  async keys(): Promise<string[]> {
    const names = await readdir(this.directory).catch(() => [] as string[]);
    const keys = new Set<string>();
    for (const n of names) {
      const k = n.endsWith('.json') ? n.slice(0, -5) : n;
      if (isBlobKey(k)) keys.add(k);
    }
    return [...keys];
  }

  async remove(key: string, length: number): Promise<void> {
    await rm(join(this.directory, key), { force: true });
    await rm(join(this.directory, `${key}.json`), { force: true });
    this.reserved = Math.max(0, this.reserved - Math.max(0, length));
  }

  /** Reserves `length` bytes under `cap`; false when that would exceed it. */
  reserve(length: number, cap: number): boolean {
    if (this.reserved + length > cap) return false;
    this.reserved += length;
    return true;
  }

  get reservedBytes(): number {
    return this.reserved;
  }

  /** Recounts the reservation from what is on disk (startup and every sweep). */
  setReserved(bytes: number): void {
    this.reserved = bytes;
  }

  /** Free bytes of the file system holding the directory (Infinity when unknown). */
  async freeBytes(): Promise<number> {
    try {
      const s = await statfs(this.directory);
      return s.bavail * s.bsize;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }
}
