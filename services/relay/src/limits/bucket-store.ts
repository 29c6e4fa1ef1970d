/**
 * Where the send budgets' token buckets live. `MemoryBucketStore` (the
 * default) keeps them in bounded per-process maps; `PgBucketStore` keeps them
 * in PostgreSQL, so relay instances sharing a database share every budget.
 *
 * A charge is all-or-nothing: `takeAll` takes every listed bucket's tokens,
 * or none when any of them is short, and says how long each would wait.
 */
import { BucketMap } from './token-bucket.ts';

/** One kind of bucket: its size and refill rate. */
export interface BucketSpec {
  /** Distinguishes budgets that share keys (e.g. envelope count and bytes of one source). */
  readonly name: string;
  /** Tokens when full (the burst). */
  readonly capacity: number;
  /** Tokens refilled per millisecond. */
  readonly perMs: number;
}

/** Take `n` tokens from the `spec` bucket of `key`. */
export interface BucketTake {
  spec: BucketSpec;
  key: string;
  n: number;
}

/** Token buckets by (spec, key). */
export interface BucketStore {
  /**
   * Takes every `n` from its bucket, or nothing when any bucket is short.
   * Resolves to each take's wait in ms (0 when it could be taken; Infinity
   * when it never can); all 0 means everything was taken.
   */
  takeAll(takes: readonly BucketTake[], now: number): Promise<number[]>;
  /** Forgets buckets that have refilled completely (they carry no information); resolves to how many. */
  prune(now: number): Promise<number>;
}

/** Takes of one (spec, key) merged, so a bucket named twice is charged its total. */
export function mergeTakes(takes: readonly BucketTake[]): { merged: BucketTake[]; index: number[] } {
  const at = new Map<string, number>();
  const merged: BucketTake[] = [];
  const index = takes.map((t) => {
    const k = `${t.spec.name}\u0000${t.key}`;
    let i = at.get(k);
    if (i === undefined) {
      at.set(k, (i = merged.length));
      merged.push({ ...t });
    } else merged[i]!.n += t.n;
    return i;
  });
  return { merged, index };
}

/** Buckets in bounded per-process maps (one `BucketMap` per spec name). */
export class MemoryBucketStore implements BucketStore {
  private readonly maps = new Map<string, BucketMap>();

  /** `maxEntries`: most buckets kept per spec (see `BucketMap`). */
  constructor(private readonly maxEntries: number) {}

  async takeAll(takes: readonly BucketTake[], now: number): Promise<number[]> {
    const { merged, index } = mergeTakes(takes);
    const buckets = merged.map((t) => this.map(t.spec).get(t.key, now));
    const waits = merged.map((t, i) => buckets[i]!.waitMs(t.n, now));
    if (waits.every((w) => w === 0)) merged.forEach((t, i) => buckets[i]!.take(t.n, now));
    return index.map((i) => waits[i]!);
  }

  async prune(): Promise<number> {
    // Each map sheds full buckets itself when it reaches its bound.
    return 0;
  }

  private map(spec: BucketSpec): BucketMap {
    let m = this.maps.get(spec.name);
    if (m === undefined) this.maps.set(spec.name, (m = new BucketMap(spec.capacity, spec.perMs, this.maxEntries)));
    return m;
  }
}
