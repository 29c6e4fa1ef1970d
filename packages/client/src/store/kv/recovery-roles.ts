/**
 * The recovery roles of `KvStore`: the quarantine of undecryptable envelopes
 * (`quarantine/envelopeId`, ordered by a `seq` kept in the row) and the sent
 * log (`sentLog/seq`, with the key-only age index `sentLogAt/sentAt/seq` so
 * the prune that runs on every send reads no rows).
 */
import type { DeviceAddress, QuarantineStore, QuarantinedEnvelope, SentLogEntry, SentLogStore } from '../types.ts';
import type { KvKey } from './keys.ts';
import type { KvTransaction } from './overlay.ts';
import { hexOf } from './roles.ts';

type QuarantineRow = QuarantinedEnvelope & { seq: number };

const withoutSeq = ({ seq: _seq, ...e }: QuarantineRow): QuarantinedEnvelope => e;

export class KvQuarantine implements QuarantineStore {
  constructor(private readonly tx: KvTransaction) {}
  async put(e: Omit<QuarantinedEnvelope, 'attempts'>) {
    const old = await this.tx.get<QuarantineRow>(['quarantine', e.envelopeId]);
    const row: QuarantineRow =
      old === undefined
        ? { ...e, attempts: 1, seq: await this.tx.next('quarantine') }
        : { ...old, ...e, content: old.content, receivedAt: old.receivedAt, attempts: old.attempts + 1, seq: old.seq };
    this.tx.put(['quarantine', e.envelopeId], row);
  }
  async get(envelopeId: string) {
    const row = await this.tx.get<QuarantineRow>(['quarantine', envelopeId]);
    return row === undefined ? undefined : withoutSeq(row);
  }
  async list() {
    return (await this.#rows()).map(withoutSeq);
  }
  async remove(envelopeId: string) {
    if (!(await this.tx.has(['quarantine', envelopeId]))) return false;
    this.tx.delete(['quarantine', envelopeId]);
    return true;
  }
  async totals() {
    const rows = await this.#rows();
    return { count: rows.length, bytes: rows.reduce((n, r) => n + r.content.length, 0) };
  }
  async #rows(): Promise<QuarantineRow[]> {
    return (await this.tx.scan<QuarantineRow>(['quarantine'])).map(([, r]) => r).sort((a, b) => a.seq - b.seq);
  }
}

const sameAddress = (a: DeviceAddress, b: DeviceAddress): boolean => a.account === b.account && a.device === b.device;

export class KvSentLog implements SentLogStore {
  constructor(private readonly tx: KvTransaction) {}
  async add(e: SentLogEntry) {
    const seq = await this.tx.next('sentLog');
    this.tx.put(['sentLog', seq], { ...e });
    this.tx.put(['sentLogAt', e.sentAt, seq], true);
  }
  async find(recipient: DeviceAddress, ratchetKey: Uint8Array) {
    return (await this.#matching(recipient, ratchetKey)).map(([, e]) => e);
  }
  async remove(recipient: DeviceAddress, ratchetKey: Uint8Array) {
    for (const [k, e] of await this.#matching(recipient, ratchetKey)) this.#delete(Number(k[1]), e.sentAt);
  }
  async removeTimestamp(recipient: DeviceAddress, ratchetKey: Uint8Array, timestamp: number) {
    for (const [k, e] of await this.#matching(recipient, ratchetKey)) if (e.timestamp === timestamp) this.#delete(Number(k[1]), e.sentAt);
  }
  async prune(sentBefore: number, maxEntries: number) {
    const kept: [number, number][] = [];
    for (const k of await this.tx.scanKeys(['sentLogAt'])) {
      const [sentAt, seq] = [Number(k[1]), Number(k[2])];
      if (sentAt < sentBefore) this.#delete(seq, sentAt);
      else kept.push([seq, sentAt]);
    }
    kept.sort((a, b) => a[0] - b[0]);
    for (const [seq, sentAt] of kept.slice(0, Math.max(0, kept.length - Math.max(0, maxEntries)))) this.#delete(seq, sentAt);
  }
  async count() {
    return (await this.tx.scanKeys(['sentLog'])).length;
  }
  #delete(seq: number, sentAt: number): void {
    this.tx.delete(['sentLog', seq]);
    this.tx.delete(['sentLogAt', sentAt, seq]);
  }
  async #matching(recipient: DeviceAddress, ratchetKey: Uint8Array): Promise<[KvKey, SentLogEntry][]> {
    const hex = hexOf(ratchetKey);
    return (await this.tx.scan<SentLogEntry>(['sentLog'])).filter(([, e]) => sameAddress(e.recipient, recipient) && hexOf(e.ratchetKey) === hex);
  }
}
