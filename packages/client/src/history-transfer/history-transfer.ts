/**
 * History transfer to a newly linked device (`client.historyTransfer`), as
 * Signal's link-and-sync does it, over our pieces:
 *
 * primary                                         new device
 *   approveLink: offer id (16 random bytes) in  →  the sealed provisioning message
 *                                               ←  after linking: Content.history_transfer { id, request } (sync, E2E)
 *   snapshot (one tx, bounded by count and age),
 *   attachment cipher (fresh key) → blob service,
 *   pointer + counts to THAT device only        →  download, digest/MAC verified, strict decode,
 *   (the others get an empty PlaintextContent)     import in one transaction (rows it holds are skipped)
 *
 * Nothing of it is stored as a chat message. docs/history-transfer.md.
 */
import { fromHex, randomBytes, toHex } from '@sealpost/protocol/primitives';
import type { ClientEvents } from '../client-types.ts';
import { encodeContent, type MessageContent } from '../content.ts';
import type { OpenedEnvelope } from '../incoming.ts';
import type { ClientStore, RegisteredAccount, StoreTransaction } from '../store/types.ts';
import { decodeArchive, encodeArchive, type Archive } from './archive.ts';
import { HISTORY_TRANSFER_ID_LENGTH, type HistoryTransferFields } from './content-fields.ts';
import { HistoryTransferError } from './errors.ts';
import { DEFAULT_HISTORY_TRANSFER, type HistoryBlobs, type HistoryTransferEvent, type HistoryTransferOptions } from './options.ts';
import { ARCHIVE_KEY, OFFERS_KEY, PENDING_KEY, pointerFromText, pointerToText, readJson, writeJson, type ArchiveRecord, type OfferRecords, type PendingRecord } from './records.ts';
import { importArchive, snapshotHistory } from './snapshot.ts';

/** What `HistoryTransfers` works with. */
export interface HistoryTransferDeps {
  store: ClientStore;
  now: () => number;
  own: () => RegisteredAccount;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** Sends an encoded Content to every other device of an account (1:1 sessions). */
  sendContent: (account: string, plaintext: Uint8Array, timestamp: number) => Promise<number[]>;
  /** Sends an encoded Content to one other device of our own account only. */
  sendToOwnDevice: (device: number, plaintext: Uint8Array, timestamp: number) => Promise<void>;
  options: HistoryTransferOptions | undefined;
}

/** What an import did. */
export interface HistoryImportResult {
  imported: number;
  skipped: number;
}

const NONE = { after: async () => {} };
/** How long a lapsed offer is remembered so that a late request gets a decline rather than silence, ms. */
const OFFER_KEPT_AFTER_EXPIRY_MS = 24 * 3600_000;
/** Archives made for one offer at most (a new device that keeps asking gets declines after that). */
export const MAX_ANSWERS_PER_OFFER = 5;

export class HistoryTransfers {
  #blobs: HistoryBlobs | undefined;
  readonly #o: Required<Omit<HistoryTransferOptions, 'accept' | 'blobs'>> & Pick<HistoryTransferOptions, 'accept'>;

  constructor(private readonly d: HistoryTransferDeps) {
    const { blobs, ...rest } = d.options ?? {};
    this.#blobs = blobs;
    this.#o = { ...DEFAULT_HISTORY_TRANSFER, ...rest };
  }

  /** Where archives are uploaded to and downloaded from (e.g. `historyBlobsOf(attachments)`). */
  useBlobs(blobs: HistoryBlobs): void {
    this.#blobs = blobs;
  }

  #event(e: HistoryTransferEvent): void {
    this.d.emit('historyTransfer', e);
  }

  /** Primary, in `approveLink`: a new offer's id for the provisioning message, or undefined when history is off or there is no blob client to upload with. */
  async offer(enabled = this.#o.enabled): Promise<Uint8Array | undefined> {
    if (!enabled || this.#blobs === undefined) return undefined;
    const id = randomBytes(HISTORY_TRANSFER_ID_LENGTH);
    const now = this.d.now();
    await this.d.store.transaction(async (tx) => {
      const offers = await this.#offers(tx, now);
      offers[toHex(id)] = { expiresAt: now + this.#o.offerTtlMs };
      await writeJson(tx.settings, OFFERS_KEY, offers);
    });
    this.#event({ role: 'primary', phase: 'offered', transferId: toHex(id) });
    return id;
  }

  /** The open offers; ones lapsed more than a day ago are dropped (a lapsed one is still answered, with a decline). */
  async #offers(tx: StoreTransaction, now: number): Promise<OfferRecords> {
    const all = (await readJson<OfferRecords>(tx.settings, OFFERS_KEY)) ?? {};
    return Object.fromEntries(Object.entries(all).filter(([, o]) => o.expiresAt + OFFER_KEPT_AFTER_EXPIRY_MS > now));
  }

  /** New device, once linked: remembers the offer its provisioning message named and asks for it (unless refused). */
  async linked(transferId: Uint8Array | undefined): Promise<void> {
    if (transferId === undefined) return;
    const id = toHex(transferId);
    if (!this.#o.enabled) {
      this.#event({ role: 'new-device', phase: 'refused', transferId: id });
      return;
    }
    await writeJson(this.d.store.settings, PENDING_KEY, { transferId: id } satisfies PendingRecord);
    await this.request().catch(() => {}); // reported as a `failed` event; request() again later
  }

  /** New device: (re)sends the request for the offer it was given; false when it holds none. */
  async request(): Promise<boolean> {
    const pending = await readJson<PendingRecord>(this.d.store.settings, PENDING_KEY);
    if (pending === undefined) return false;
    this.#event({ role: 'new-device', phase: 'requesting', transferId: pending.transferId });
    const now = this.d.now();
    const content = encodeContent({ version: 1, timestamp: now, historyTransfer: { transferId: fromHex(pending.transferId), request: true } });
    try {
      await this.d.sendContent(this.d.own().account, content, now);
    } catch (error) {
      this.#event({ role: 'new-device', phase: 'failed', transferId: pending.transferId, error });
      throw error;
    }
    return true;
  }

  /**
   * Inside the envelope's transaction (incoming.ts): a history-transfer
   * content. Only from our own account's devices; anything else, or an offer
   * this device did not make or was not given, is ignored. Never a chat message.
   */
  async apply(tx: StoreTransaction, opened: OpenedEnvelope, content: MessageContent, now: number): Promise<{ after: () => Promise<void> }> {
    const f = content.historyTransfer as HistoryTransferFields;
    if (!opened.fromSelf) return NONE;
    const id = toHex(f.transferId);
    if (f.request === true) {
      const offers = await this.#offers(tx, now);
      const offer = offers[id];
      if (offer === undefined || (offer.device !== undefined && offer.device !== opened.sender.device)) return NONE;
      const answers = (offer.answers ?? 0) + 1;
      offers[id] = { ...offer, device: opened.sender.device, answers };
      await writeJson(tx.settings, OFFERS_KEY, offers);
      const lapsed = offer.expiresAt <= now || answers > MAX_ANSWERS_PER_OFFER;
      return { after: () => this.#answer(opened.sender.device, f.transferId, lapsed) };
    }
    if (f.archive === undefined && f.declined !== true) return NONE;
    const pending = await readJson<PendingRecord>(tx.settings, PENDING_KEY);
    if (pending?.transferId !== id) return NONE;
    if (f.declined === true) {
      await writeJson(tx.settings, PENDING_KEY, undefined);
      return { after: async () => this.#event({ role: 'new-device', phase: 'declined', transferId: id }) };
    }
    const record: ArchiveRecord = { transferId: id, pointer: pointerToText(f.archive!), messages: f.messageCount ?? 0, conversations: f.conversationCount ?? 0 };
    await writeJson(tx.settings, ARCHIVE_KEY, record);
    return { after: () => this.retry().then(() => {}, () => {}) };
  }

  /** Primary: answers a request from our new device `device` (archive, or a decline), reporting by events. */
  async #answer(device: number, transferId: Uint8Array, lapsed: boolean): Promise<void> {
    const id = toHex(transferId);
    const now = this.d.now();
    const reply = (fields: Omit<HistoryTransferFields, 'transferId'>) =>
      this.d.sendToOwnDevice(device, encodeContent({ version: 1, timestamp: now, historyTransfer: { transferId, ...fields } }), now);
    try {
      const blobs = this.#blobs;
      if (lapsed || !this.#o.enabled || blobs === undefined) {
        await reply({ declined: true });
        this.#event({ role: 'primary', phase: 'declined', transferId: id, device, ...(blobs === undefined && { error: new HistoryTransferError('HISTORY_TRANSFER_UNAVAILABLE', 'no blob client: call historyTransfer.useBlobs()') }) });
        return;
      }
      const archive = await snapshotHistory(this.d.store, { maxMessages: this.#o.maxMessages, since: now - this.#o.maxAgeMs }, now);
      const plaintext = encodeWithin(archive, this.#o.maxArchiveBytes);
      const counts = { messages: archive.rows.length, conversations: new Set(archive.rows.map((r) => r.peer)).size };
      this.#event({ role: 'primary', phase: 'requested', transferId: id, device, ...counts });
      const pointer = await blobs.upload(plaintext, (p) => this.#event({ role: 'primary', phase: 'uploading', transferId: id, device, done: p.done, total: p.total }));
      plaintext.fill(0);
      await reply({ archive: pointer, messageCount: counts.messages, conversationCount: counts.conversations });
      this.#event({ role: 'primary', phase: 'sent', transferId: id, device, ...counts });
    } catch (error) {
      this.#event({ role: 'primary', phase: 'failed', transferId: id, device, error });
      // Tell the new device, so it does not wait for an archive that will not come.
      await reply({ declined: true }).catch(() => {});
    }
  }

  /**
   * New device: downloads, verifies and imports the archive pointer it
   * received (also what runs when it arrives). Undefined when none is
   * waiting. Throws `HistoryTransferError`: TAMPERED and INVALID drop the
   * pointer (nothing imported); UNAVAILABLE keeps it for another `retry()`.
   */
  async retry(): Promise<HistoryImportResult | undefined> {
    const record = await readJson<ArchiveRecord>(this.d.store.settings, ARCHIVE_KEY);
    if (record === undefined) return undefined;
    const id = record.transferId;
    const drop = () => writeJson(this.d.store.settings, ARCHIVE_KEY, undefined);
    try {
      let pointer;
      try {
        pointer = pointerFromText(record.pointer);
      } catch (e) {
        throw new HistoryTransferError('HISTORY_TRANSFER_INVALID', 'the stored archive pointer is malformed', { cause: e });
      }
      if (pointer.size > this.#o.maxArchiveBytes) throw new HistoryTransferError('HISTORY_TRANSFER_INVALID', `the archive (${pointer.size} bytes) is larger than maxArchiveBytes (${this.#o.maxArchiveBytes})`);
      const offer = { messages: record.messages, conversations: record.conversations, bytes: pointer.size };
      if (this.#o.accept !== undefined && !(await this.#o.accept(offer))) {
        await drop();
        this.#event({ role: 'new-device', phase: 'refused', transferId: id, ...offer });
        return undefined;
      }
      const blobs = this.#blobs;
      if (blobs === undefined) throw new HistoryTransferError('HISTORY_TRANSFER_UNAVAILABLE', 'no blob client: call historyTransfer.useBlobs(), then retry()');
      const plaintext = await download(blobs, pointer, (p) => this.#event({ role: 'new-device', phase: 'downloading', transferId: id, done: p.done, total: p.total }));
      const archive = decodeArchive(plaintext, record.messages);
      plaintext.fill(0);
      this.#event({ role: 'new-device', phase: 'importing', transferId: id, messages: archive.rows.length, conversations: record.conversations });
      const result = await this.d.store.transaction(async (tx) => {
        const r = await importArchive(tx, archive);
        await writeJson(tx.settings, ARCHIVE_KEY, undefined);
        return r;
      });
      this.#event({ role: 'new-device', phase: 'done', transferId: id, messages: archive.rows.length, conversations: record.conversations, ...result });
      return result;
    } catch (error) {
      if (!(error instanceof HistoryTransferError && error.code === 'HISTORY_TRANSFER_UNAVAILABLE')) await drop();
      this.#event({ role: 'new-device', phase: 'failed', transferId: id, error });
      throw error;
    }
  }
}

/** Encodes `archive`, leaving out its oldest rows (about a tenth at a time) until it fits `maxBytes`; trims `archive.rows` to what was encoded. */
function encodeWithin(archive: Archive, maxBytes: number): Uint8Array {
  let bytes = encodeArchive(archive);
  while (bytes.length > maxBytes && archive.rows.length > 0) {
    archive.rows = archive.rows.slice(Math.max(1, Math.ceil(archive.rows.length / 10)));
    const peers = new Set(archive.rows.map((r) => r.peer));
    archive.contacts = archive.contacts.filter((c) => peers.has(c.account));
    bytes = encodeArchive(archive);
  }
  return bytes;
}

/** A verified download; a failed verification is TAMPERED, everything else UNAVAILABLE. */
async function download(blobs: HistoryBlobs, pointer: Parameters<HistoryBlobs['download']>[0], onProgress: Parameters<HistoryBlobs['download']>[1]): Promise<Uint8Array> {
  try {
    const bytes = await blobs.download(pointer, onProgress);
    if (bytes.length !== pointer.size) throw new HistoryTransferError('HISTORY_TRANSFER_TAMPERED', 'the archive has another size than its pointer says', { reason: 'LENGTH' });
    return bytes;
  } catch (e) {
    if (e instanceof HistoryTransferError) throw e;
    const code = (e as { code?: unknown }).code;
    if (code === 'TAMPERED') throw new HistoryTransferError('HISTORY_TRANSFER_TAMPERED', `the archive failed verification: ${(e as Error).message}`, { cause: e, reason: (e as { reason?: string }).reason });
    throw new HistoryTransferError('HISTORY_TRANSFER_UNAVAILABLE', `the archive could not be downloaded: ${(e as Error).message}`, { cause: e });
  }
}
