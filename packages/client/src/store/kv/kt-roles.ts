/**
 * The `kt` role of `KvStore` (key transparency): `ktState` (the verifier's
 * encoded state, one record) and `ktEvidence/seq` (seq from counter
 * `ktEvidence`, so a prefix scan lists them oldest first). Semantics follow
 * `MemoryStore` and `SqliteStore` (test/support/kt-store-contract.ts runs all).
 * New key prefixes only: the browser store's format stays 1 (a store opened
 * by an older client just lacks the records).
 */
import { MAX_KT_EVIDENCE, type KtStore, type StoredKtEvidence } from '../kt-types.ts';
import type { KvTransaction } from './overlay.ts';

interface StateRecord {
  state: Uint8Array;
  at: number;
}

interface EvidenceRecord {
  kind: string;
  at: number;
  account: string | null;
  handle: string | null;
  /** JSON text: the data's shape is the verifier's, not the store's. */
  data: string;
}

export class KvKt implements KtStore {
  constructor(private readonly tx: KvTransaction) {}
  async state() {
    return (await this.tx.get<StateRecord>(['ktState']))?.state;
  }
  async setState(state: Uint8Array, at: number) {
    this.tx.put(['ktState'], { state, at } satisfies StateRecord);
  }
  async addEvidence(r: StoredKtEvidence) {
    const seq = await this.tx.next('ktEvidence');
    this.tx.put(['ktEvidence', seq], { kind: r.kind, at: r.at, account: r.account ?? null, handle: r.handle ?? null, data: JSON.stringify(r.data ?? null) } satisfies EvidenceRecord);
    const keys = await this.tx.scanKeys(['ktEvidence']);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_KT_EVIDENCE))) this.tx.delete(k);
  }
  async evidence() {
    return (await this.tx.scan<EvidenceRecord>(['ktEvidence'])).map(
      ([, r]): StoredKtEvidence => ({ kind: r.kind, at: r.at, account: r.account ?? undefined, handle: r.handle ?? undefined, data: JSON.parse(r.data) as unknown }),
    );
  }
}
