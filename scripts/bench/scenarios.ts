/**
 * The five measurements of issue 7, each written once against the
 * {@link Implementation} contract and run for every implementation in turn.
 */
import type { Conversation, Implementation, ScenarioId } from './contract.ts';
import { assertLength, randomBytes } from './message-scenarios.ts';
import { collectGarbage, figure, type Figure, type Task } from './timing.ts';

export { dhRatchet, setup, symmetric } from './message-scenarios.ts';

/** One row of the table. */
export interface Row {
  readonly scenario: ScenarioId;
  readonly label: string;
  readonly unit: string;
  /** Whether a bigger number is the better one (ops/s) or the smaller (ms, bytes). */
  readonly higherIsBetter: boolean;
  /** Whether the ours-vs-peer ratio makes sense for this row. */
  readonly comparable: boolean;
  readonly results: Map<string, Figure | null>;
}

/** (4) `count` messages encrypted in order (untimed), then decrypted in reverse (timed, ms). */
export function outOfOrder(impl: Implementation, count: number): Task<{ conversation: Conversation; messages: unknown[] }> {
  const plaintext = randomBytes(64);
  return {
    prepare: async () => {
      const conversation = await impl.establish();
      const messages: unknown[] = [];
      for (let i = 0; i < count; i++) messages.push(await conversation.send('alice', plaintext));
      return { conversation, messages };
    },
    run: async ({ conversation, messages }) => {
      for (let i = messages.length - 1; i >= 0; i--) {
        let received = conversation.receive('bob', messages[i]);
        if (received instanceof Promise) received = await received;
        assertLength(received, 64, impl.name);
      }
    },
  };
}

/** (5a) Alice's serialized record after 1,000 messages, exchanged in alternating bursts of ten. */
export async function recordSize(impl: Implementation, messages = 1000): Promise<Figure> {
  const conversation: Conversation = await impl.establish();
  const plaintext = new Uint8Array(64);
  for (let i = 0; i < messages; i++) {
    const from = Math.floor(i / 10) % 2 === 0 ? 'alice' : 'bob';
    await conversation.receive(from === 'alice' ? 'bob' : 'alice', await conversation.send(from, plaintext));
  }
  const bytes = await conversation.recordBytes('alice');
  return figure([bytes.length]);
}

/**
 * (5a') Average serialized message size minus plaintext size, in bytes, over
 * the same 1,000-message schedule of 64 B plaintexts as the record-size row
 * (the first, prekey, messages are part of the handshake and not counted).
 * Null where the implementation's wire form has no byte size.
 */
export async function messageOverhead(impl: Implementation, messages = 1000): Promise<Figure | null> {
  const conversation: Conversation = await impl.establish();
  const size = conversation.messageBytes?.bind(conversation);
  if (size === undefined) return null;
  const plaintext = new Uint8Array(64);
  let total = 0;
  for (let i = 0; i < messages; i++) {
    const from = Math.floor(i / 10) % 2 === 0 ? 'alice' : 'bob';
    const message = await conversation.send(from, plaintext);
    total += size(message) - plaintext.length;
    await conversation.receive(from === 'alice' ? 'bob' : 'alice', message);
  }
  return figure([total / messages]);
}

/** Bytes per held session: heap + external, and its two parts (V8 objects; ArrayBuffer bytes outside the V8 heap), and RSS. */
export interface HeapFigures {
  heapPerSession: number;
  rssPerSession: number;
  v8HeapPerSession: number;
  externalPerSession: number;
}

/**
 * (5b) Memory for `count` acknowledged sessions held in memory: growth of
 * V8 heap + external (ArrayBuffers) and of the resident set (which is where
 * libsignal-client's native records live), in bytes per session.
 */
export async function heap(impl: Implementation, count: number): Promise<HeapFigures> {
  if (!impl.holdSessions) throw new Error(`${impl.name} cannot hold sessions`);
  collectGarbage();
  const before = process.memoryUsage();
  const held = await impl.holdSessions(count);
  collectGarbage();
  const after = process.memoryUsage();
  if (held.length !== count) throw new Error(`${impl.name}: held ${held.length} sessions`);
  const heapGrowth = after.heapUsed + after.external - (before.heapUsed + before.external);
  const rssGrowth = after.rss - before.rss;
  held.length = 0;
  collectGarbage();
  return {
    heapPerSession: heapGrowth / count,
    rssPerSession: rssGrowth / count,
    v8HeapPerSession: (after.heapUsed - before.heapUsed) / count,
    externalPerSession: (after.external - before.external) / count,
  };
}
