/**
 * The shape every benchmarked implementation takes, so that one set of
 * scenarios (scenarios.ts) drives libsignal-client, libsignal-protocol-
 * typescript, our own protocol and the primitive floor identically.
 *
 * Steps may be synchronous (ours, the floor) or asynchronous (both peers work
 * through async stores); the scenarios await either, which costs one
 * microtask tick — noise next to a message's ~10 µs.
 */

/** Which side of a two-party conversation. */
export type Side = 'alice' | 'bob';

/** An established 1:1 session, both ends in this process. */
export interface Conversation {
  /**
   * Encrypts `plaintext` from `from` to the other side and returns the wire
   * message in whatever form the implementation hands to its transport.
   */
  send(from: Side, plaintext: Uint8Array): unknown;
  /** Decrypts a message produced by {@link send} on the other side. */
  receive(to: Side, message: unknown): Uint8Array | Promise<Uint8Array>;
  /** `side`'s session record serialized as it would be persisted (a JSON string's UTF-8 bytes for libsignal-protocol-ts). */
  recordBytes(side: Side): Uint8Array | Promise<Uint8Array>;
  /**
   * Serialized size in bytes of a message returned by {@link send}, for the
   * per-message overhead row; absent where the implementation's wire form is
   * not a byte string (libsignal-protocol-ts) or not a real message (the floors).
   */
  messageBytes?(message: unknown): number;
}

/** One implementation under test. */
export interface Implementation {
  /** Short column name. */
  readonly name: string;
  /** One line for the table's legend: what it is and what it leaves out. */
  readonly description: string;
  /** Which of the five scenario groups this implementation can run. */
  readonly supports: ReadonlySet<ScenarioId>;
  /**
   * A session after the full handshake: Alice processed Bob's bundle, sent
   * the first (prekey) message, Bob decrypted it and replied, and Alice
   * decrypted the reply — so both sides hold an acknowledged session.
   */
  establish(): Promise<Conversation>;
  /**
   * One session setup, the thing scenario 3 times: bundle processing → first
   * message → responder decrypt. Bob's keys (identity, signed, Kyber and a
   * one-time prekey) are made before the clock starts; see prepareSetups.
   */
  setupOnce?(index: number): Promise<void>;
  /** Makes the keys `count` calls to setupOnce will consume (untimed). */
  prepareSetups?(count: number): Promise<void>;
  /**
   * `count` independent session records held in memory the way the
   * implementation's in-memory store holds them, for the heap scenario.
   */
  holdSessions?(count: number): Promise<unknown[]>;
}

/** The measurements in the table. */
export type ScenarioId = 'symmetric' | 'dh-ratchet' | 'setup' | 'out-of-order' | 'record-size' | 'heap';

/** Every scenario (what a full implementation supports). */
export const ALL_SCENARIOS: ReadonlySet<ScenarioId> = new Set<ScenarioId>(['symmetric', 'dh-ratchet', 'setup', 'out-of-order', 'record-size', 'heap']);
