/**
 * How the in-memory libsignal stores keep records: `serialized` (bytes, a
 * fresh object on every read, as libsignal's own apps persist them — what
 * the interop tests use) or `live` (the record objects themselves, as a
 * caching store holds them — what the benchmark uses, so store overhead
 * does not blur libsignal's own timings).
 */
export type RecordKeeping = 'serialized' | 'live';

interface Serializable {
  serialize(): Uint8Array<ArrayBuffer>;
}

/** A map of libsignal records kept the way `keeping` says. */
export class RecordMap<K, R extends Serializable> {
  private readonly entries = new Map<K, R | Uint8Array<ArrayBuffer>>();

  constructor(
    private readonly keeping: RecordKeeping,
    private readonly deserialize: (bytes: Uint8Array<ArrayBuffer>) => R,
  ) {}

  set(key: K, record: R): void {
    this.entries.set(key, this.keeping === 'live' ? record : record.serialize());
  }

  get(key: K): R | undefined {
    const entry = this.entries.get(key);
    return entry === undefined || !(entry instanceof Uint8Array) ? entry : this.deserialize(entry);
  }

  /** The record's serialized bytes, or undefined. */
  bytes(key: K): Uint8Array<ArrayBuffer> | undefined {
    const entry = this.entries.get(key);
    return entry === undefined || entry instanceof Uint8Array ? entry : entry.serialize();
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
