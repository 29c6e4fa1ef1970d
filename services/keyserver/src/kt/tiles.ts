/**
 * C2SP tlog-tiles (c2sp.org/tlog-tiles) over the log's in-memory index:
 *
 *   tile/<L>/<N>[.p/<W>]        hashes of tree level 8·L, indices 256·N … 256·N + W − 1 (32 bytes each)
 *   tile/entries/<N>[.p/<W>]    entries 256·N …, each a uint16 length ‖ the 40-byte LogEntry
 *
 * N is written in zero-padded 3-digit path elements, all but the last
 * prefixed with "x" (1234067 → x001/x234/067); W is 1…255 and only for
 * partial tiles. Only canonical paths are accepted; a tile the log does
 * not (yet) have is `undefined` (404).
 */
import { type LeafHashStore, type LogEntry, encodeLogEntry } from '@sealpost/keytrans';

export const TILE_WIDTH = 256;

export interface TilePath {
  /** 'entries' or the tile level L (0…63). */
  level: number | 'entries';
  index: number;
  /** 256 for a full tile. */
  width: number;
}

/** The canonical path elements of a tile index. */
export function formatTileIndex(n: number): string {
  const groups: string[] = [];
  let rest = n;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** Parses the part after `tile/`; undefined when it is not a canonical tile path. */
export function parseTilePath(path: string): TilePath | undefined {
  const parts = path.split('/');
  const levelText = parts.shift();
  let level: number | 'entries';
  if (levelText === 'entries') level = 'entries';
  else if (levelText !== undefined && /^(0|[1-9][0-9]?)$/.test(levelText) && Number(levelText) <= 63) level = Number(levelText);
  else return undefined;
  let width = TILE_WIDTH;
  const last = parts[parts.length - 2];
  if (last !== undefined && last.endsWith('.p')) {
    const w = parts.pop()!;
    if (!/^[1-9][0-9]{0,2}$/.test(w) || Number(w) >= TILE_WIDTH) return undefined;
    width = Number(w);
    parts[parts.length - 1] = last.slice(0, -2);
  }
  if (parts.length === 0 || parts.length > 6) return undefined;
  const digits = parts.map((p, i) => (i < parts.length - 1 ? (/^x[0-9]{3}$/.test(p) ? p.slice(1) : undefined) : /^[0-9]{3}$/.test(p) ? p : undefined));
  if (digits.some((d) => d === undefined)) return undefined;
  const index = Number(digits.join(''));
  if (!Number.isSafeInteger(index) || formatTileIndex(index) !== parts.join('/')) return undefined;
  return { level, index, width };
}

/** The bytes of a hash tile, or undefined if the log (of `store.size` leaves) does not have it. */
export function hashTile(store: LeafHashStore, level: number, index: number, width: number): Uint8Array | undefined {
  const treeLevel = 8 * level;
  const available = Math.floor(store.size / 2 ** treeLevel);
  const first = index * TILE_WIDTH;
  if (first + width > available) return undefined;
  const out = new Uint8Array(32 * width);
  for (let i = 0; i < width; i++) {
    const hash = treeLevel === 0 ? store.leafHash(first + i) : store.perfectSubtreeHash?.(treeLevel, first + i);
    if (hash === undefined) return undefined;
    out.set(hash, 32 * i);
  }
  return out;
}

/** The bytes of an entry bundle, or undefined if the log does not have those entries. */
export function entryBundle(entries: readonly LogEntry[], index: number, width: number): Uint8Array | undefined {
  const first = index * TILE_WIDTH;
  if (first + width > entries.length) return undefined;
  const out = new Uint8Array(42 * width);
  for (let i = 0; i < width; i++) {
    const bytes = encodeLogEntry(entries[first + i]!);
    out[42 * i] = bytes.length >> 8;
    out[42 * i + 1] = bytes.length & 0xff;
    out.set(bytes, 42 * i + 2);
  }
  return out;
}
