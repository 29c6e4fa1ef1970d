/** The SQLite `kt` role (migration 11: `kt_state`, one row; `kt_evidence`); see `KtStore`. */
import type { Statements } from './sqlite-roles.ts';
import { MAX_KT_EVIDENCE, type KtStore, type StoredKtEvidence } from './kt-types.ts';

type Row = Record<string, unknown>;
const bytes = (v: unknown): Uint8Array => new Uint8Array(v as ArrayBufferLike & Uint8Array);
const optional = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** The SQL of migration 10 → 11. */
export const KT_MIGRATION = `
  CREATE TABLE kt_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    state BLOB NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE kt_evidence (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    account TEXT,
    handle TEXT,
    data TEXT NOT NULL
  );
`;

export class SqliteKt implements KtStore {
  constructor(private readonly s: Statements) {}
  async state() {
    const r = this.s.get('SELECT state FROM kt_state WHERE singleton = 1').get() as Row | undefined;
    return r === undefined ? undefined : bytes(r.state);
  }
  async setState(state: Uint8Array, at: number) {
    this.s
      .get('INSERT INTO kt_state (singleton, state, updated_at) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at')
      .run(state, at);
  }
  async addEvidence(r: StoredKtEvidence) {
    this.s.get('INSERT INTO kt_evidence (kind, at, account, handle, data) VALUES (?, ?, ?, ?, ?)').run(r.kind, r.at, r.account ?? null, r.handle ?? null, JSON.stringify(r.data ?? null));
    this.s.get('DELETE FROM kt_evidence WHERE seq <= (SELECT max(seq) FROM kt_evidence) - ?').run(MAX_KT_EVIDENCE);
  }
  async evidence() {
    return (this.s.get('SELECT * FROM kt_evidence ORDER BY seq').all() as Row[]).map(
      (r): StoredKtEvidence => ({ kind: String(r.kind), at: Number(r.at), account: optional(r.account), handle: optional(r.handle), data: JSON.parse(String(r.data)) as unknown }),
    );
  }
}
