/**
 * `SealpostClient`: what an app embeds. One instance is one device of one
 * account. This file is the facade; the work lives in
 *   account.ts      register / link (linking.ts) / devices        credentials.ts  relay token, sender certificate
 *   contacts.ts     profile and access keys          trust.ts        identity policy, safety numbers
 *   outgoing.ts     send, outbox                      incoming.ts     unseal → apply (one tx) → deliver
 *   reception.ts    WebSocket / polling receiving  trust-root.ts   trust root checks
 *   quarantine.ts   undecryptable envelopes kept   recovery.ts     decryption-error messages, resends
 *   client-wiring.ts  how the parts are built and wired together
 */
import type { Account } from './account.ts';
import { wireClient } from './client-wiring.ts';
import type { ClientEvents, ContactCard, ReceivedMessage, SealpostClientOptions, SentMessage } from './client-types.ts';
import { type Contacts, decodeContactCard, encodeContactCard } from './contacts.ts';
import { decodeContent, type MessageContent, type MessageRef } from './content.ts';
import type { Credentials } from './credentials.ts';
import { ClientError, isNetworkError } from './errors.ts';
import { TypedEmitter } from './events.ts';
import type { Incoming } from './incoming.ts';
import type { DeviceListing, KeyServerClient } from './keyserver-client.ts';
import type { DeviceLinking } from './linking.ts';
import type { Outgoing, OutgoingMessage } from './outgoing.ts';
import type { MessagesRead, ReadListener, ReadState } from './read-state.ts';
import type { Conversations } from './conversations/conversations.ts';
import type { Reception } from './reception.ts';
import type { QueuedEnvelope, RelayClient } from './relay-client.ts';
import type { SafetyNumber } from './safety-number.ts';
import type { ClientStore, ConversationTimer, DeviceAddress, QuarantinedEnvelope, StoredMessage } from './store/types.ts';
import { selfCheckTrustRoot } from './trust-root.ts';
import type { Trust } from './trust.ts';
import type { UpkeepReport } from './upkeep.ts';
import type { RegistrationGateAnswer } from './registration-gate.ts';
import type { Groups } from './groups/groups.ts';
import type { DeliveryReceipts } from './receipts/delivery-receipts.ts';
import type { Receipts } from './receipts/receipts.ts';
import type { TypingSender } from './receipts/typing.ts';
import type { TypingAction } from './receipts/typing-codec.ts';
import type { Edits, EditSendResult } from './edits/edits.ts';
import type { EditVersion } from './edits/types.ts';
import type { Disappearing } from './disappearing/disappearing.ts';
import type { HistoryTransfers } from './history-transfer/history-transfer.ts';
import type { KeyTransparency } from './kt/key-transparency.ts';
import { claimHandle, lookupHandle, type HandleLookup } from './kt/handles.ts';

export type { ClientEvents, ClientProblem, ContactCard, ReceivedMessage, ReceiveMode, RelayView, SealpostClientOptions, SentMessage } from './client-types.ts';

/**
 * One device of one account. Create with `await SealpostClient.open(options)`
 * (or `new` + `await ready()`), then `register()` or `link()`, then `start()`.
 */
export class SealpostClient extends TypedEmitter<ClientEvents> {
  readonly store: ClientStore;
  readonly keyServer: KeyServerClient;
  readonly relay: RelayClient;
  /** Groups: create, change membership, send and read (see docs/groups.md). */
  readonly groups: Groups;
  /** Receipts: delivery/read status of our messages, queued delivery receipts, who is typing (receipts/receipts.ts). */
  readonly receipts: Receipts;
  readonly #deliveryReceipts: DeliveryReceipts;
  readonly #typing: TypingSender;
  /** Conversations: list with unread counts, history pages, search, mark read, the read-receipt switch (docs/conversations.md). */
  readonly conversations: Conversations;
  /** History transfer to newly linked devices (see docs/history-transfer.md). */
  readonly historyTransfer: HistoryTransfers;
  /** Key transparency: mode, evidence, monitoring, status (README "Key transparency"). */
  readonly keyTransparency: KeyTransparency;
  readonly #account: Account;
  readonly #contacts: Contacts;
  readonly #trust: Trust;
  readonly #outgoing: Outgoing;
  readonly #incoming: Incoming;
  readonly #reception: Reception;
  readonly #ready: Promise<void>;
  readonly #trustRoots: Uint8Array[];
  readonly #credentials: Credentials;
  readonly #now: () => number;
  readonly #readState: ReadState;
  readonly #edits: Edits;
  /** Disappearing messages: conversation timers, expiry schedule, the sweeper (disappearing/). */
  readonly disappearing: Disappearing;
  #closed = false;

  /** Opens a client and loads its local account from the store. */
  static async open(options: SealpostClientOptions): Promise<SealpostClient> {
    const client = new SealpostClient(options);
    await client.ready();
    return client;
  }

  constructor(options: SealpostClientOptions) {
    super();
    // Refuses a wrong trust root or KT pin here (every received envelope would fail otherwise); wiring: client-wiring.ts.
    const p = wireClient(options, {
      emit: (event, value) => this.emit(event, value),
      closed: () => this.#closed,
      send: (to, message) => this.send(to, message),
      markRead: (peer, upToId) => this.markRead(peer, upToId),
      setDisappearingTimer: (peer, seconds) => this.setDisappearingTimer(peer, seconds),
    });
    this.#trustRoots = p.trustRoots;
    this.store = p.store;
    this.keyServer = p.keyServer;
    this.relay = p.relay;
    this.#credentials = p.credentials;
    this.#now = p.now;
    this.#account = p.account;
    this.keyTransparency = p.kt;
    this.#contacts = p.contacts;
    this.#trust = p.trust;
    this.disappearing = p.disappearing;
    this.#outgoing = p.outgoing;
    this.historyTransfer = p.historyTransfer;
    this.groups = p.groups;
    this.receipts = p.receipts;
    this.#deliveryReceipts = p.deliveryReceipts;
    this.#typing = p.typing;
    this.#edits = p.edits;
    this.#readState = p.readState;
    this.conversations = p.conversations;
    this.#incoming = p.incoming;
    this.#reception = p.reception;
    this.#ready = this.#account.load();
    this.#ready.catch(() => {}); // surfaced by ready() and every call that needs it
  }

  /** Resolves once the local account is loaded from the store. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** This device's address, or throws `NOT_REGISTERED` (also before `ready()`). */
  get address(): DeviceAddress {
    const a = this.#account.current();
    return { account: a.account, device: a.device };
  }

  /** True once registered or linked (false before `ready()`). */
  get registered(): boolean {
    return this.#account.registered;
  }

  /**
   * Creates a new account with this device as its primary device (see `Account.register`).
   * `gate`: a registration token from the app backend, or `{ proofOfWork: true }`, when the key server's registration gate is on.
   */
  async register(gate?: RegistrationGateAnswer): Promise<DeviceAddress> {
    await this.#ready;
    const address = await this.#account.register(gate);
    await this.keyTransparency.registered(); // owns its account label and searches it (background)
    return address;
  }

  /**
   * Starts linking this fresh device to an existing account: returns the
   * link URI to show the primary device (QR code; public values only) and
   * `complete()`, which resolves once the primary approved and this device
   * is linked. See `Account.beginLink`.
   */
  async beginLink(): Promise<DeviceLinking> {
    await this.#ready;
    return this.#account.beginLink();
  }

  /**
   * On the primary device: approves the link URI a new device shows (see `Account.approveLink`).
   * `historyTransfer: false` offers this device no history (default: the `historyTransfer.enabled` option).
   */
  async approveLink(uri: string, options?: { historyTransfer?: boolean }): Promise<void> {
    await this.#ready;
    return this.#account.approveLink(uri, options);
  }

  /** This account's devices at the key server. */
  async devices(): Promise<DeviceListing[]> {
    await this.#ready;
    return this.#account.devices();
  }

  /** Removes one of this account's devices at the key server (it stops receiving). */
  async removeDevice(deviceId: number): Promise<void> {
    await this.#ready;
    return this.#account.removeDevice(deviceId);
  }

  /**
   * Deletes this account (primary device only): its queues at the relay,
   * then its identity key, devices and prekeys at the key server (its id
   * answers `ACCOUNT_DELETED` from then on and is never issued again), then
   * marks the store deleted, overwriting the local identity and removing its
   * prekeys; finally closes the client. Contacts' next sends and bundle
   * fetches fail with `AccountDeletedError` (`ACCOUNT_DELETED`). Resumable:
   * after a crash, open the store and call it again. Details:
   * account-deletion/delete-account.ts.
   */
  async deleteAccount(): Promise<void> {
    this.#refuseIfClosed();
    await this.#ready;
    await this.#account.deleteAccount();
    await this.close();
  }

  /** This user's contact card, to give to people who should be able to write to us. */
  contactCard(): ContactCard {
    const a = this.#account.current();
    return { account: a.account, profileKey: a.profileKey.slice() };
  }

  /** Remembers a contact's card (their profile key); needed before the first message to them. */
  addContact(card: ContactCard): Promise<void> {
    return this.#contacts.add(card);
  }

  /** Encodes a contact card as text (for QR codes and the terminal chat). */
  static encodeContactCard(card: ContactCard): string {
    return encodeContactCard(card);
  }

  /** Decodes `encodeContactCard`'s text. */
  static decodeContactCard(text: string): ContactCard {
    return decodeContactCard(text);
  }

  /** The identity key trusted for `account`, if any (33 bytes). */
  trustedIdentity(account: string): Promise<Uint8Array | undefined> {
    return this.#trust.trustedIdentity(account);
  }

  /** The safety number with `account`; `UNKNOWN_RECIPIENT` before any key of it was seen. */
  safetyNumber(account: string): Promise<SafetyNumber> {
    return this.#trust.safetyNumber(account);
  }

  /** Compares a scanned QR code with our safety number; on a match the identity is marked verified. */
  verifySafetyNumber(account: string, scanned: Uint8Array): Promise<boolean> {
    return this.#trust.verifySafetyNumber(account, scanned);
  }

  /** Explicitly trusts `identityKey` for `account` (after the user compared safety numbers). */
  trustIdentity(account: string, identityKey: Uint8Array, verified = true): Promise<void> {
    return this.#trust.trustIdentity(account, identityKey, verified);
  }

  /**
   * Sends to every device of `to` (and a copy to our other devices); resolves once the relay accepted it.
   * On a `NetworkError` (`CONNECTION_REFUSED`, `TIMEOUT`, ...) after sealing, the outbox keeps it for `flushOutbox()`: do not send it again.
   */
  async send(to: string, message: OutgoingMessage): Promise<SentMessage> {
    this.#refuseIfClosed();
    await this.#ready;
    this.#refuseIfClosed();
    return this.#outgoing.send(to, message);
  }

  /** Replies to an earlier message. */
  reply(to: string, text: string, target: MessageRef): Promise<SentMessage> {
    return this.send(to, { text, replyTo: target });
  }

  /** Reacts to an earlier message with any emoji. */
  react(to: string, emoji: string, target: MessageRef, remove = false): Promise<SentMessage> {
    return this.send(to, { reaction: { emoji, target, remove } });
  }

  /**
   * Edits our earlier message `target` (sent to `to`) for everyone: its devices and our other devices
   * replace the text, keeping the earlier versions (`editHistory`); event `edited`. Only our own messages,
   * within the edit window (option `edits`, default 24 h): else `EditError` and nothing is sent.
   */
  async edit(to: string, target: MessageRef, text: string): Promise<EditSendResult> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.#edits.edit(to, target, text);
  }

  /** Deletes our earlier message `target` (sent to `to`) for everyone: a tombstone replaces it everywhere; event `deletedForEveryone`. */
  async deleteForEveryone(to: string, target: MessageRef): Promise<EditSendResult> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.#edits.deleteForEveryone(to, target);
  }

  /** The earlier versions of message `ref` in conversation `peer` (an account, or `group:<id>`), oldest first. */
  async editHistory(peer: string, ref: MessageRef): Promise<EditVersion[]> {
    await this.#ready;
    return this.#edits.editHistory(peer, ref);
  }

  /** Hands the relay sealed envelopes a crash or an unreachable relay left in the outbox; returns how many batches were sent. */
  async flushOutbox(): Promise<number> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.#outgoing.flushOutbox();
  }

  /**
   * Checks the trust root against our own sender certificate (`INVALID_TRUST_ROOT`; skipped, with an `error`
   * event, when the key server is unreachable), offers messages the app has not yet accepted, retries the
   * quarantine, then starts receiving (per options) and prekey upkeep.
   */
  async start(): Promise<void> {
    this.#refuseIfClosed();
    await this.#ready;
    const own = this.#account.current();
    // Our own sender certificate must validate under the pinned trust root, or nothing we receive would.
    // (An unreachable key server does not stop start(): reception reconnects; the failure is reported.)
    const certificate = await this.#credentials.senderCertificate().catch((error: unknown) => {
      if (!isNetworkError(error)) throw error;
      this.emit('error', { error });
      return undefined;
    });
    if (certificate !== undefined) selfCheckTrustRoot(certificate, this.#trustRoots, this.#now(), own);
    // What expired while the client was closed goes before anything is offered again.
    await this.disappearing.start();
    await this.redeliver();
    await this.#incoming.retryQuarantined().catch((error: unknown) => this.emit('error', { error }));
    await this.flushOutbox();
    await this.#deliveryReceipts.flush().catch((error: unknown) => this.emit('error', { error })); // owed since before a crash
    this.#reception.start(this.#account.upkeep);
    await this.keyTransparency.start();
  }

  /** Claims `handle` ("@bob") for this account (primary device; `HANDLE_TAKEN` as a `ServiceError`); with key transparency its label is monitored. */
  async claimHandle(handle: string): Promise<string> {
    await this.#ready;
    return claimHandle({ keyServer: this.keyServer, kt: this.keyTransparency, own: () => this.#account.current() }, handle);
  }

  /** The account of `handle` from the directory, checked against the key-transparency log (`enforce`: `KtError` on a mismatch). */
  async lookupHandle(handle: string): Promise<HandleLookup> {
    await this.#ready;
    return lookupHandle({ keyServer: this.keyServer, kt: this.keyTransparency, own: () => this.#account.current() }, handle);
  }

  /** Fetches and processes the whole queue once by polling; returns how many envelopes were handled. */
  async poll(): Promise<number> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.#reception.poll();
  }

  /** Processes one envelope the app fetched itself; acknowledge it only after this resolves (rejects on transient failures). */
  async receiveEnvelope(envelope: QueuedEnvelope): Promise<void> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.#incoming.handle(envelope);
  }

  /** Resolves when the WebSocket receiver has emptied the relay queue (WebSocket mode). */
  drained(): Promise<void> {
    return this.#reception.drained();
  }

  /** Runs prekey upkeep now (the timer also does). */
  async runUpkeep(): Promise<UpkeepReport> {
    await this.#ready;
    const upkeep = this.#account.upkeep;
    if (upkeep === undefined) throw new ClientError('NOT_REGISTERED', 'register() or link() this device first');
    return upkeep.run();
  }

  /** Envelopes that could not be decrypted, kept instead of dropped (oldest first; bounded, see the `quarantine` option). */
  async quarantined(): Promise<QuarantinedEnvelope[]> {
    return this.store.quarantine.list();
  }

  /**
   * Processes quarantined envelopes again: the given ids, or every one whose
   * automatic attempts are not used up. Returns how many succeeded (their
   * messages are delivered as usual); failures stay quarantined.
   */
  async retryQuarantined(envelopeIds?: readonly string[]): Promise<number> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.#incoming.retryQuarantined(envelopeIds);
  }

  /** Deletes a quarantined envelope for good; true when it was there. */
  async deleteQuarantined(envelopeId: string): Promise<boolean> {
    this.#refuseIfClosed();
    return this.store.quarantine.remove(envelopeId);
  }

  /** Offers every stored-but-not-yet-accepted message to the app again. */
  async redeliver(): Promise<void> {
    await this.#ready;
    return this.#incoming.redeliver();
  }

  /** New messages as an async iterator (in addition to the `message` event); ends when the client closes. */
  messages(): AsyncGenerator<ReceivedMessage, void, undefined> {
    return this.#incoming.messages();
  }

  /** The stored history with one account, oldest first. */
  async history(account: string, limit?: number): Promise<(StoredMessage & { decoded: MessageContent })[]> {
    return (await this.store.history.conversation(account, limit)).map((m) => ({ ...m, decoded: decodeContent(m.content) }));
  }

  /**
   * Marks the conversation's unread received messages (up to row id `upToId`,
   * default all) read, in one transaction with every read listener's
   * bookkeeping; emits `messagesRead` when something was marked.
   */
  async markRead(peer: string, upToId?: number): Promise<MessagesRead> {
    this.#refuseIfClosed();
    await this.#ready;
    const read = await this.#readState.markRead(peer, upToId);
    if (read.messages.length > 0) this.emit('messagesRead', { peer, ids: read.messages.map((m) => m.id), readAt: read.now });
    return read;
  }

  /**
   * Sets the disappearing-messages timer of a conversation (a peer account, or
   * a group's conversation id; for groups also `groups.setDisappearingTimer`):
   * `seconds` after reading (received) or sending (sent), a message is deleted
   * from every device's store; 0 turns it off. Sends a timer-change message to
   * the peer and our other devices; resolves with the conversation's timer.
   */
  async setDisappearingTimer(peer: string, seconds: number): Promise<ConversationTimer | undefined> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.disappearing.set(peer, seconds);
  }

  /** Registers a function `markRead` calls inside its transaction (SDK features and apps); returns its remover. */
  onMessagesRead(listener: ReadListener): () => void {
    return this.#readState.listen(listener);
  }

  /**
   * Tells `to` (an account id, or `group:<id>` for a group) that the user
   * started / stopped typing: never stored, best-effort (dropped when the
   * relay does not take it), rate-limited per conversation (see
   * receipts/typing.ts). Resolves true when an indicator was sent.
   */
  async typing(to: string, action: TypingAction): Promise<boolean> {
    this.#refuseIfClosed();
    await this.#ready;
    return this.#typing.send(to, action);
  }

  /** Throws `CLOSED` once `close()` was called. */
  #refuseIfClosed(): void {
    if (this.#closed) throw new ClientError('CLOSED', 'the client is closed');
  }

  /** Stops receiving and timers and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#account.upkeep?.stop();
    this.disappearing.stop();
    this.keyTransparency.stop();
    await this.#reception.stop();
    await this.#deliveryReceipts.close();
    this.#incoming.end();
    await this.#ready.catch(() => {});
    await this.store.close();
  }
}
