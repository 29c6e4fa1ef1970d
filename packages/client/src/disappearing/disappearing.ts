/**
 * Disappearing messages (issue 18): a per-conversation timer either side
 * (any group member) sets, carried in every chat message, and the deletion
 * of messages once their timer ran out after reading.
 *
 * - Setting: `set(peer, seconds)` sends a timer-change message
 *   (`expireTimer.update`, version = ours + 1) like any message; when the
 *   relay accepted it, its history row (a timer-change item) and the new
 *   timer commit in one transaction (`sentStored`), and `disappearingTimer`
 *   is emitted. Receivers — the peer's devices and our other devices, via
 *   the sync copy — apply it in the envelope's transaction (`inbound`).
 * - Carrying: `timerOf(peer)` stamps each outgoing chat message (1:1, group,
 *   their sync copies) with the conversation's timer and version; a receiver
 *   adopts a carried timer by `adoptTimer` (timer-rule.ts: higher version
 *   wins, ties to the shorter timer, versionless senders as older clients).
 * - Expiry: a message expires `seconds` (the timer IT carries) after its
 *   countdown starts: for received messages when read (`readListener`, inside
 *   `markRead`'s transaction), for sent ones when stored as sent, and for
 *   sync copies of our own messages when they arrive. The schedule is in the
 *   store (`expirations`); `Sweeper` deletes what is due. Timer-change items
 *   themselves do not expire (they say what happened to the conversation).
 */
import { decodeContent, type MessageContent } from '../content.ts';
import type { ClientEvents } from '../client-types.ts';
import { ClientError } from '../errors.ts';
import { hasUserContent } from '../groups/group-inbound.ts';
import type { MessagesRead } from '../read-state.ts';
import type { ClientStore, ConversationTimer, NewMessage, StoreTransaction } from '../store/types.ts';
import { Sweeper, type ExpiredMessages } from './sweeper.ts';
import { adoptTimer } from './timer-rule.ts';
import type { ExpireTimerContent } from './timer-codec.ts';
import { MAX_EXPIRE_TIMER_SECONDS } from './timer-codec.ts';

/** The `disappearingTimer` event: a conversation's timer changed (here or on another device). */
export interface DisappearingTimerEvent {
  peer: string;
  seconds: number;
  /** The account that set it. */
  by: string;
  /** When this device took it on, ms. */
  at: number;
}

export interface DisappearingDeps {
  store: ClientStore;
  now: () => number;
  /** This device's account id. */
  ownAccount: () => string;
  emit: <K extends keyof ClientEvents>(event: K, value: ClientEvents[K]) => void;
  /** Sends a content-only message (1:1, or to a group when `peer` is a group's conversation id). */
  sendUpdate: (peer: string, expireTimer: ExpireTimerContent) => Promise<unknown>;
}

/** What an inbound message's row looks like to `inbound`. */
export interface InboundRow {
  peer: string;
  sender: { account: string };
  /** Its history row id (undefined when it was not stored: a repeat, or control content). */
  id: number | undefined;
  direction: 'in' | 'out';
}

/** A stored row's content; a row that does not decode (an app's import) has no timer and must not fail the read marking. */
function decodeOrNothing(bytes: Uint8Array): MessageContent {
  try {
    return decodeContent(bytes);
  } catch {
    return { version: 0, timestamp: 0 };
  }
}

const isChat = (c: MessageContent): boolean => c.expireTimer?.update === true || hasUserContent(c);

/** The countdown of a message: its carried timer in ms, or undefined when it does not expire. */
function lifetimeMs(content: MessageContent): number | undefined {
  const t = content.expireTimer;
  if (t === undefined || t.update === true || t.seconds === 0) return undefined;
  return t.seconds * 1000;
}

export class Disappearing {
  readonly #sweeper: Sweeper;
  #setting: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: DisappearingDeps) {
    this.#sweeper = new Sweeper({
      store: d.store,
      now: d.now,
      onExpired: (expired: ExpiredMessages) => d.emit('messagesExpired', expired),
      onError: (error) => d.emit('error', { error }),
    });
  }

  /** The conversation's timer, if one was ever set. */
  timer(peer: string): Promise<ConversationTimer | undefined> {
    return this.d.store.expirations.timer(peer);
  }

  /** When message `id` is deleted (ms on the client clock), if its countdown runs. */
  expiresAt(id: number): Promise<number | undefined> {
    return this.d.store.expirations.expiresAt(id);
  }

  /**
   * Sets the conversation's timer (seconds, 0 = off): sends the change to the
   * peer (every member of a group) and our other devices. Resolves with the
   * conversation's timer once the relay accepted it. Calls are serialized.
   */
  set(peer: string, seconds: number): Promise<ConversationTimer | undefined> {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_EXPIRE_TIMER_SECONDS) {
      return Promise.reject(new ClientError('INVALID_DATA', `a disappearing timer is a whole number of seconds in 0..${MAX_EXPIRE_TIMER_SECONDS}, got ${seconds}`));
    }
    const run = this.#setting.then(async () => {
      const current = await this.d.store.expirations.timer(peer);
      await this.d.sendUpdate(peer, { seconds, version: (current?.version ?? 0) + 1, update: true });
      return this.d.store.expirations.timer(peer);
    });
    this.#setting = run.catch(() => undefined);
    return run;
  }

  /** The timer an outgoing chat message to `peer` carries (undefined while none was ever set). */
  async timerOf(peer: string): Promise<ExpireTimerContent | undefined> {
    const t = await this.d.store.expirations.timer(peer);
    return t === undefined ? undefined : { seconds: t.seconds, version: t.version };
  }

  /**
   * Inside the transaction that stored a sent message (`row`, id `id`): a
   * timer change takes effect; a message with a timer starts its countdown.
   * Returns what to do after the commit.
   */
  async sentStored(tx: StoreTransaction, id: number, row: NewMessage): Promise<(() => void) | undefined> {
    const content = decodeContent(row.content);
    const event = await this.#adopt(tx, row.peer, row.sender.account, content, this.d.now());
    const life = lifetimeMs(content);
    if (life !== undefined) await tx.expirations.schedule(id, row.storedAt + life);
    return this.#after(event, life !== undefined);
  }

  /** Inside a received envelope's transaction: adopts a carried timer; a sync copy of our own message starts its countdown. */
  async inbound(tx: StoreTransaction, row: InboundRow, content: MessageContent, now: number): Promise<(() => void) | undefined> {
    if (!isChat(content)) return undefined;
    const event = await this.#adopt(tx, row.peer, row.sender.account, content, now);
    const life = row.direction === 'out' && row.id !== undefined ? lifetimeMs(content) : undefined;
    if (life !== undefined) await tx.expirations.schedule(row.id!, now + life);
    return this.#after(event, life !== undefined);
  }

  /** The read listener: received messages that carry a timer start their countdown at the read time. */
  readonly readListener = async (tx: StoreTransaction, read: MessagesRead): Promise<(() => Promise<void>) | void> => {
    let scheduled = false;
    for (const m of read.messages) {
      const life = lifetimeMs(decodeOrNothing(m.content));
      if (life === undefined) continue;
      await tx.expirations.schedule(m.id, (m.readAt ?? read.now) + life);
      scheduled = true;
    }
    if (scheduled) return () => this.#sweeper.arm();
  };

  /** Deletes every message due now (the timer and `start()` also do). */
  sweep(): Promise<ExpiredMessages> {
    return this.#sweeper.sweep();
  }

  /** Sweeps what expired while the client was closed, then keeps the timer armed. */
  start(): Promise<ExpiredMessages> {
    return this.#sweeper.start();
  }

  stop(): void {
    this.#sweeper.stop();
  }

  async #adopt(tx: StoreTransaction, peer: string, by: string, content: MessageContent, now: number): Promise<DisappearingTimerEvent | undefined> {
    if (content.expireTimer === undefined) return undefined;
    const current = await tx.expirations.timer(peer);
    const next = adoptTimer(current, content.expireTimer);
    if (next === undefined) return undefined;
    await tx.expirations.setTimer({ peer, seconds: next.seconds, version: next.version, updatedBy: by, updatedAt: now });
    // A versionless state taking on another versionless value is news only when the value changed.
    if (current !== undefined && current.seconds === next.seconds && content.expireTimer.update !== true) return undefined;
    return { peer, seconds: next.seconds, by, at: now };
  }

  #after(event: DisappearingTimerEvent | undefined, scheduled: boolean): (() => void) | undefined {
    if (event === undefined && !scheduled) return undefined;
    return () => {
      if (event !== undefined) this.d.emit('disappearingTimer', event);
      if (scheduled) this.#sweeper.arm().catch((error: unknown) => this.d.emit('error', { error }));
    };
  }
}
