/**
 * The SQLite roles of undecryptable-envelope recovery: the quarantine of
 * envelopes that could not be decrypted and the log of recently sent
 * messages a decryption-error message may ask to resend (migration 4).
 */
import type { Statements } from './sqlite-roles.ts';
import type { DeviceAddress, QuarantineStore, QuarantinedEnvelope, SentLogEntry, SentLogStore } from './types.ts';

type Row = Record<string, unknown>;
const bytes = (v: unknown): Uint8Array => new Uint8Array(v as ArrayBufferLike & Uint8Array);

function toQuarantined(r: Row): QuarantinedEnvelope {
  return {
    envelopeId: String(r.envelope_id),
    content: bytes(r.content),
    receivedAt: Number(r.received_at),
    quarantinedAt: Number(r.quarantined_at),
    sender: r.sender_account === null ? undefined : { account: String(r.sender_account), device: Number(r.sender_device) },
    reason: String(r.reason),
    detail: String(r.detail),
    attempts: Number(r.attempts),
  };
}

export class SqliteQuarantine implements QuarantineStore {
  constructor(private readonly s: Statements) {}
  async put(e: Omit<QuarantinedEnvelope, 'attempts'>) {
    this.s
      .get(
        `INSERT INTO quarantine (envelope_id, content, received_at, quarantined_at, sender_account, sender_device, reason, detail, attempts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
         ON CONFLICT (envelope_id) DO UPDATE SET quarantined_at = excluded.quarantined_at, sender_account = excluded.sender_account,
           sender_device = excluded.sender_device, reason = excluded.reason, detail = excluded.detail, attempts = quarantine.attempts + 1`,
      )
      .run(e.envelopeId, e.content, e.receivedAt, e.quarantinedAt, e.sender?.account ?? null, e.sender?.device ?? null, e.reason, e.detail);
  }
  async get(envelopeId: string) {
    const r = this.s.get('SELECT * FROM quarantine WHERE envelope_id = ?').get(envelopeId) as Row | undefined;
    return r === undefined ? undefined : toQuarantined(r);
  }
  async list() {
    return (this.s.get('SELECT * FROM quarantine ORDER BY seq').all() as Row[]).map(toQuarantined);
  }
  async remove(envelopeId: string) {
    return this.s.get('DELETE FROM quarantine WHERE envelope_id = ?').run(envelopeId).changes > 0;
  }
  async totals() {
    const r = this.s.get('SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(content)), 0) AS b FROM quarantine').get() as Row;
    return { count: Number(r.n), bytes: Number(r.b) };
  }
}

function toSent(r: Row): SentLogEntry {
  return {
    recipient: { account: String(r.account), device: Number(r.device) },
    ratchetKey: bytes(r.ratchet_key),
    timestamp: Number(r.timestamp),
    content: bytes(r.content),
    sentAt: Number(r.sent_at),
    resends: Number(r.resends),
  };
}

export class SqliteSentLog implements SentLogStore {
  constructor(private readonly s: Statements) {}
  async add(e: SentLogEntry) {
    this.s
      .get('INSERT INTO sent_log (account, device, ratchet_key, timestamp, content, sent_at, resends) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.recipient.account, e.recipient.device, e.ratchetKey, e.timestamp, e.content, e.sentAt, e.resends);
  }
  async find(a: DeviceAddress, ratchetKey: Uint8Array) {
    return (this.s.get('SELECT * FROM sent_log WHERE account = ? AND device = ? AND ratchet_key = ? ORDER BY seq').all(a.account, a.device, ratchetKey) as Row[]).map(toSent);
  }
  async remove(a: DeviceAddress, ratchetKey: Uint8Array) {
    this.s.get('DELETE FROM sent_log WHERE account = ? AND device = ? AND ratchet_key = ?').run(a.account, a.device, ratchetKey);
  }
  async removeTimestamp(a: DeviceAddress, ratchetKey: Uint8Array, timestamp: number) {
    this.s.get('DELETE FROM sent_log WHERE account = ? AND device = ? AND ratchet_key = ? AND timestamp = ?').run(a.account, a.device, ratchetKey, timestamp);
  }
  async prune(sentBefore: number, maxEntries: number) {
    this.s.atomic(() => {
      this.s.get('DELETE FROM sent_log WHERE sent_at < ?').run(sentBefore);
      this.s.get('DELETE FROM sent_log WHERE seq NOT IN (SELECT seq FROM sent_log ORDER BY seq DESC LIMIT ?)').run(Math.max(0, maxEntries));
    });
  }
  async count() {
    return Number((this.s.get('SELECT COUNT(*) AS n FROM sent_log').get() as Row).n);
  }
}
