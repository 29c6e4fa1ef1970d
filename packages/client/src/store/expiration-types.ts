/** The `expirations` store role: disappearing messages (see packages/client/src/disappearing/). */

/** A conversation's disappearing-messages timer (see packages/client/src/disappearing/). */
export interface ConversationTimer {
  /** The conversation (peer account or group conversation id). */
  readonly peer: string;
  /** Seconds; 0 = off. */
  readonly seconds: number;
  /** Change counter: the higher version wins. */
  readonly version: number;
  /** Account that made the change. */
  readonly updatedBy: string;
  /** When this device took it on, ms. */
  readonly updatedAt: number;
}

/** Disappearing messages: each conversation's timer and the messages' scheduled deletions. */
export interface ExpirationStore {
  timer(peer: string): Promise<ConversationTimer | undefined>;
  /** Inserts or replaces the timer of `timer.peer`. */
  setTimer(timer: ConversationTimer): Promise<void>;
  /** Schedules message `messageId` for deletion at `expiresAt` (ms); an earlier schedule of it is kept. */
  schedule(messageId: number, expiresAt: number): Promise<void>;
  /** When message `messageId` is scheduled to be deleted, if it is. */
  expiresAt(messageId: number): Promise<number | undefined>;
  /** Messages scheduled at or before `now`, soonest first, at most `limit`. */
  due(now: number, limit: number): Promise<number[]>;
  /** The soonest scheduled deletion time, if any. */
  next(): Promise<number | undefined>;
}
