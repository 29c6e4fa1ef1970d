/**
 * The page's model: one `SealpostClient` (this browser profile's device),
 * the contact list, receiving (in the tab that holds the receiver lock),
 * identity-change warnings and the connection state. Views read it and
 * subscribe with `onChange`; they never talk to the client directly.
 */
import { DEFAULT_UPKEEP_POLICY, SealpostClient, WebSocketReceiver, type ClientStore, type Conversation, type SearchResult, type IdentityChange, type MessageRef, type ReceiverState, type SafetyNumber } from '@sealpost/client/browser';
import { conversationEntries, type ChatEntry } from './conversation.ts';
import type { PageConfig } from './page-config.ts';
import { TabLeader, type TabNotice } from './tab-leader.ts';
import { KtStatusBoard, type KtConversationStatus } from './kt-status.ts';
import { deletedContactProblem } from './ui/acctdel.ts';
import { watchDisappearing, withExpiry } from './ui/disappearing.ts';

/** A person this user can write to. */
export interface ContactEntry {
  account: string;
  name: string;
}

/** What the connection indicator shows. */
export type ConnectionState = ReceiverState | 'other-tab' | 'offline' | 'idle';

const CONTACTS_KEY = 'web.contacts';
const NAME_KEY = 'web.name';
const WARNINGS_KEY = 'web.identity-warnings';
/** Reconnect quickly: a page is interactive (the SDK's default backoff goes up to 30 s). */
const BACKOFF = { initialMs: 250, maxMs: 5000 };

/** The model behind the page. */
export class ChatSession {
  readonly client: SealpostClient;
  readonly #store: ClientStore;
  readonly #config: PageConfig;
  readonly #tabs: TabLeader;
  readonly #listeners = new Set<() => void>();
  #receiver: WebSocketReceiver | undefined;
  #upkeepTimer: ReturnType<typeof setInterval> | undefined;
  #token: { token: string; expiresAt: number } | undefined;
  #contacts: ContactEntry[] = [];
  #warnings = new Set<string>();
  #name = '';
  #sendChain: Promise<void> = Promise.resolve();
  readonly #kt: KtStatusBoard;
  connection: ConnectionState = 'idle';
  /** The last problem worth showing (send failures, undecryptable envelopes). */
  problem: string | undefined;

  private constructor(client: SealpostClient, store: ClientStore, config: PageConfig) {
    this.client = client;
    this.#store = store;
    this.#config = config;
    this.#tabs = new TabLeader((notice) => void this.#onNotice(notice));
    this.#kt = new KtStatusBoard(config.keyTransparency !== undefined);
  }

  /** Opens the client over `store` and loads the page's own records. */
  static async open(config: PageConfig, store: ClientStore): Promise<ChatSession> {
    const client = await SealpostClient.open({
      store,
      keyServerUrl: config.keyServerUrl,
      relayUrl: config.relayUrl,
      trustRoot: config.trustRoot,
      identityPolicy: 'warn',
      // Receiving and prekey upkeep run in the tab that holds the receiver lock (start()): one per device.
      receive: { mode: 'manual' },
      upkeep: { automatic: false },
      // Key transparency (kt-status.ts): every bundle fetch is checked against the pinned log before a session is built.
      ...(config.keyTransparency === undefined ? {} : { keyTransparency: config.keyTransparency }),
    });
    const session = new ChatSession(client, store, config);
    await session.#load();
    if (client.registered) session.#kt.load(await client.keyTransparency.evidence(), client.address.account);
    client.on('kt', (event) => {
      if (session.#kt.apply(event, client.registered ? client.address.account : undefined)) session.#changed();
    });
    client.on('message', (m) => {
      if (!m.fromSelf && !session.#contacts.some((c) => c.account === m.conversation)) void session.#learnContact(m.conversation);
      session.#tabs.notify({ type: 'history-changed', peer: m.conversation });
      session.#changed();
    });
    client.on('identityChanged', (change) => void session.#identityChanged(change));
    // Receipts and typing (ui/receipts.ts): redraw ticks and the typing line; a STARTED is redrawn again when it expires.
    client.on('receipt', () => session.#changed());
    client.on('typing', (t) => {
      session.#changed();
      if (t.expiresAt !== undefined) setTimeout(() => session.#changed(), Math.max(0, t.expiresAt - Date.now()) + 50);
    });
    // Edits and deletes for everyone change a stored message (ui/edits.ts shows them).
    const edited = (peer: string) => (session.#tabs.notify({ type: 'history-changed', peer }), session.#changed());
    client.on('edited', (e) => edited(e.message.conversation));
    client.on('deletedForEveryone', (e) => edited(e.conversation));
    watchDisappearing(client, () => session.#changed());
    // Conversations: a read here or on another device of this account (read sync) changes the unread badges.
    client.on('messagesRead', () => session.#changed());
    client.on('error', (problem) => {
      session.problem = problem.error instanceof Error ? problem.error.message : String(problem.error);
      session.#changed();
    });
    return session;
  }

  get registered(): boolean {
    return this.client.registered;
  }

  get name(): string {
    return this.#name;
  }

  get contacts(): readonly ContactEntry[] {
    return this.#contacts;
  }

  /** True while `account`'s identity key changed and the user has not re-verified it. */
  identityWarning(account: string): boolean {
    return this.#warnings.has(account);
  }

  /** The key-transparency status of the conversation with `account` (the chat header shows it). */
  ktStatus(account: string): KtConversationStatus {
    return this.#kt.status(account);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Creates this browser's account. */
  async register(name: string): Promise<void> {
    await this.client.register();
    this.#name = name;
    await this.#store.settings.set(NAME_KEY, name);
    this.#changed();
  }

  /** Starts sending from the outbox, upkeep and (in the leading tab) receiving. */
  async start(): Promise<void> {
    await this.client.start();
    this.connection = 'other-tab';
    this.#tabs.campaign(this.client.address.account, () => this.#lead());
    addEventListener('online', () => void this.#reconnect());
    addEventListener('offline', () => this.#setConnection('offline'));
    this.#changed();
  }

  /** This user's contact card as text (for the QR code and pasting). */
  cardText(): string {
    return SealpostClient.encodeContactCard(this.client.contactCard());
  }

  /** Adds a contact from the card text they shared; returns its account. */
  async addContact(name: string, cardText: string): Promise<string> {
    const card = SealpostClient.decodeContactCard(cardText.trim());
    if (card.account === this.client.address.account) throw new Error('that is your own card');
    await this.client.addContact(card);
    await this.#saveContact({ account: card.account, name: name.trim() || shortId(card.account) });
    return card.account;
  }

  /** The conversation with `account`, oldest first. */
  async conversation(account: string): Promise<ChatEntry[]> {
    return withExpiry(this.client, conversationEntries(await this.client.history(account), this.client.address.account));
  }

  /** Disappearing messages: the conversation's timer (seconds, 0 = off), and setting it. */
  async disappearingTimer(account: string): Promise<number> {
    return (await this.client.disappearing.timer(account))?.seconds ?? 0;
  }

  async setDisappearingTimer(account: string, seconds: number): Promise<void> {
    await this.#sending(account, () => this.client.setDisappearingTimer(account, seconds));
  }

  async send(account: string, text: string, replyTo?: MessageRef): Promise<void> {
    await this.#sending(account, () => (replyTo === undefined ? this.client.send(account, { text }) : this.client.reply(account, text, replyTo)));
  }

  async react(account: string, target: MessageRef, emoji: string, remove = false): Promise<void> {
    await this.#sending(account, () => this.client.react(account, emoji, target, remove));
  }

  /** Tells `account` the user started / stopped typing (best-effort; the SDK rate-limits). */
  async typing(account: string, action: 'started' | 'stopped'): Promise<void> {
    await this.client.typing(account, action).catch(() => false);
  }

  /** Edits our message `target` for everyone (queued like sends; ui/edits.ts). */
  async edit(account: string, target: MessageRef, text: string): Promise<void> {
    await this.#sending(account, () => this.client.edit(account, target, text));
  }

  /** Deletes our message `target` for everyone (queued like sends; ui/edits.ts). */
  async deleteForEveryone(account: string, target: MessageRef): Promise<void> {
    await this.#sending(account, () => this.client.deleteForEveryone(account, target));
  }

  /** Conversations (ui/conversations.ts): newest first, with unread counts. */
  conversations(): Promise<Conversation[]> {
    return this.client.conversations.list();
  }

  /** Local full-text search. */
  search(query: string): Promise<SearchResult[]> {
    return this.client.conversations.search(query, { limit: 20 });
  }

  /** Marks the conversation read (a read receipt to the peer unless switched off; read sync to own devices). */
  async markRead(account: string): Promise<void> {
    if ((await this.client.conversations.markRead(account)).messages.length > 0) this.#tabs.notify({ type: 'history-changed', peer: account });
  }

  /** The read-receipt switch of this device (persisted by the SDK). */
  readReceipts(): Promise<boolean> {
    return this.client.conversations.readReceipts();
  }

  setReadReceipts(on: boolean): Promise<void> {
    return this.client.conversations.setReadReceipts(on);
  }

  safetyNumber(account: string): Promise<SafetyNumber> {
    return this.client.safetyNumber(account);
  }

  /** The user compared safety numbers: the current key is verified and the warning goes. */
  async markVerified(account: string): Promise<void> {
    const key = await this.client.trustedIdentity(account);
    if (key === undefined) throw new Error('no identity key known for this contact yet');
    await this.client.trustIdentity(account, key, true);
    this.#warnings.delete(account);
    await this.#store.settings.set(WARNINGS_KEY, JSON.stringify([...this.#warnings]));
    this.#changed();
  }

  async close(): Promise<void> {
    clearInterval(this.#upkeepTimer);
    this.#tabs.close();
    await this.#receiver?.stop();
    await this.client.close();
  }

  /** Sends go out one after another, in the order the user made them. */
  #sending(account: string, send: () => Promise<unknown>): Promise<void> {
    const run = this.#sendChain.then(async () => {
      try {
        await send();
        this.problem = undefined;
      } catch (e) {
        this.problem =
          deletedContactProblem(e, (a) => this.#contacts.find((c) => c.account === a)?.name ?? shortId(a)) ?? (e instanceof Error ? e.message : String(e));
        throw e;
      } finally {
        this.#tabs.notify({ type: 'history-changed', peer: account });
        this.#changed();
      }
    });
    this.#sendChain = run.catch(() => {});
    return run;
  }

  #lead(): void {
    this.#receiver = new WebSocketReceiver(this.client.relay, () => this.#relayToken(), (envelope) => this.client.receiveEnvelope(envelope), {
      backoff: BACKOFF,
      onState: (state) => this.#setConnection(navigator.onLine || state === 'open' ? state : 'offline'),
      onError: () => {},
    });
    this.#receiver.start();
    // Prekey refills and rotation (the SDK's timer would run in every tab); a failure is retried at the next check.
    const upkeep = () => void this.client.runUpkeep().catch(() => {});
    upkeep();
    this.#upkeepTimer = setInterval(upkeep, DEFAULT_UPKEEP_POLICY.checkIntervalMs);
  }

  /** Back online: reconnect at once (not at the next backoff step) and hand the relay what waited in the outbox. */
  async #reconnect(): Promise<void> {
    if (this.#receiver !== undefined) {
      await this.#receiver.stop();
      this.#receiver.start();
    } else this.#setConnection('other-tab');
    await this.client.flushOutbox().catch(() => 0);
  }

  async #relayToken(): Promise<string> {
    if (this.#token === undefined || this.#token.expiresAt - Date.now() < 30_000) {
      this.#token = await this.client.keyServer.relayCredential(new URL(this.#config.relayUrl).origin);
    }
    return this.#token.token;
  }

  #setConnection(state: ConnectionState): void {
    this.connection = state;
    this.#changed();
  }

  async #identityChanged(change: IdentityChange): Promise<void> {
    this.#warnings.add(change.account);
    await this.#store.settings.set(WARNINGS_KEY, JSON.stringify([...this.#warnings]));
    this.#changed();
  }

  async #learnContact(account: string): Promise<void> {
    await this.#saveContact({ account, name: shortId(account) });
  }

  async #saveContact(contact: ContactEntry): Promise<void> {
    this.#contacts = [...this.#contacts.filter((c) => c.account !== contact.account), contact];
    await this.#store.settings.set(CONTACTS_KEY, JSON.stringify(this.#contacts));
    this.#tabs.notify({ type: 'contacts-changed' });
    this.#changed();
  }

  async #load(): Promise<void> {
    this.#name = (await this.#store.settings.get(NAME_KEY)) ?? '';
    this.#contacts = parseList(await this.#store.settings.get(CONTACTS_KEY)).filter(isContact);
    this.#warnings = new Set(parseList(await this.#store.settings.get(WARNINGS_KEY)).filter((x): x is string => typeof x === 'string'));
  }

  async #onNotice(notice: TabNotice): Promise<void> {
    if (notice.type === 'contacts-changed') await this.#load();
    this.#changed();
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** The first block of an account id, for display. */
export function shortId(account: string): string {
  return account.slice(0, 8);
}

function parseList(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

function isContact(value: unknown): value is ContactEntry {
  const v = value as ContactEntry;
  return typeof v === 'object' && v !== null && typeof v.account === 'string' && typeof v.name === 'string';
}
