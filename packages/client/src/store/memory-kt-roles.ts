/** The in-memory `kt` role (key transparency: the verifier's state blob and evidence), on `MemoryStore`'s undo log. */
import { MAX_KT_EVIDENCE, type KtStore, type StoredKtEvidence } from './kt-types.ts';

/** What the role needs of `MemoryStore`'s tables. */
export interface MemoryKtTables {
  onUndo(fn: () => void): void;
}

/** Evidence data is JSON: a deep copy through JSON keeps stored records apart from the caller's objects. */
const copyRecord = (r: StoredKtEvidence): StoredKtEvidence => ({ ...r, data: JSON.parse(JSON.stringify(r.data ?? null)) as unknown });

export class MemoryKt implements KtStore {
  #state: Uint8Array | undefined;
  #evidence: StoredKtEvidence[] = [];
  constructor(private readonly t: MemoryKtTables) {}
  async state() {
    return this.#state?.slice();
  }
  async setState(state: Uint8Array) {
    const before = this.#state;
    this.t.onUndo(() => (this.#state = before));
    this.#state = state.slice();
  }
  async addEvidence(record: StoredKtEvidence) {
    const before = this.#evidence;
    this.t.onUndo(() => (this.#evidence = before));
    const all = [...before, copyRecord(record)];
    this.#evidence = all.slice(Math.max(0, all.length - MAX_KT_EVIDENCE));
  }
  async evidence() {
    return this.#evidence.map(copyRecord);
  }
}
