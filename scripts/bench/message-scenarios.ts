/**
 * The message-throughput scenarios (1)–(3) of scenarios.ts — symmetric
 * chain, DH ping-pong, session setup — with no Node imports, so that the
 * browser benchmark (scripts/bench/browser/) runs exactly these in Chromium.
 */
import type { Conversation, Implementation } from './contract.ts';
import type { Runner } from './throughput.ts';

/** `n` random bytes (WebCrypto: Node and browsers alike). */
export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/**
 * One message from `from` to the other side, decrypted there. Synchronous
 * implementations (ours, the floor) get a plain value back, which the loops
 * below use without `await`, so they pay no microtask hop per call and the
 * loop measures the implementation rather than the harness; the peers'
 * promises are awaited as usual.
 */
function exchange(conversation: Conversation, from: 'alice' | 'bob', plaintext: Uint8Array): Uint8Array | Promise<Uint8Array> {
  const to = from === 'alice' ? 'bob' : 'alice';
  const message = conversation.send(from, plaintext);
  if (message instanceof Promise) return message.then((m: unknown) => conversation.receive(to, m));
  return conversation.receive(to, message);
}

function assertPlaintext(expected: Uint8Array, actual: Uint8Array, where: string): void {
  if (expected.length !== actual.length) throw new Error(`${where}: decrypted ${actual.length} bytes, sent ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== actual[i]) throw new Error(`${where}: plaintext differs at byte ${i}`);
  }
}

/** (1) Alice → Bob on one sending chain; one op = encrypt + decrypt. */
export async function symmetric(impl: Implementation, size: number): Promise<Runner> {
  const conversation = await impl.establish();
  const plaintext = randomBytes(size);
  return {
    opsPerIteration: 1,
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        let received = exchange(conversation, 'alice', plaintext);
        if (received instanceof Promise) received = await received;
        assertLength(received, size, impl.name);
      }
      // A full byte check once per round keeps the loop honest without dominating it.
      assertPlaintext(plaintext, await conversation.receive('bob', await conversation.send('alice', plaintext)), impl.name);
    },
  };
}

/** (2) Strict ping-pong: every message turns the DH ratchet; one op = one message (encrypt + decrypt). */
export async function dhRatchet(impl: Implementation): Promise<Runner> {
  const conversation = await impl.establish();
  const plaintext = randomBytes(64);
  return {
    opsPerIteration: 2,
    run: async (n) => {
      for (let i = 0; i < n; i++) {
        let there = exchange(conversation, 'alice', plaintext);
        if (there instanceof Promise) there = await there;
        assertLength(there, 64, impl.name);
        let back = exchange(conversation, 'bob', plaintext);
        if (back instanceof Promise) back = await back;
        assertLength(back, 64, impl.name);
      }
    },
  };
}

export function assertLength(received: Uint8Array, length: number, where: string): void {
  if (received.length !== length) throw new Error(`${where}: wrong plaintext length`);
}

/** (3) Session setups per second: bundle → first message → responder decrypt. */
export async function setup(impl: Implementation): Promise<Runner> {
  if (!impl.setupOnce || !impl.prepareSetups) throw new Error(`${impl.name} has no setup`);
  const once = impl.setupOnce.bind(impl);
  return {
    opsPerIteration: 1,
    prepare: (n) => impl.prepareSetups!(n),
    run: async (n) => {
      for (let i = 0; i < n; i++) await once(i);
    },
  };
}

