/**
 * Session scenarios run between any two `SessionEndpoint`s — ours or
 * libsignal-client's — over a simulated network that reorders, drops and
 * duplicates messages under a seeded PRNG.
 *
 * The delivery schedule keeps every message within libsignal's bounds
 * (MAX_RECEIVER_CHAINS = 5 old receiver chains, MAX_MESSAGE_KEYS = 2000
 * stored skipped keys, MAX_FORWARD_JUMPS = 25000), so every message that is
 * not dropped must decrypt exactly once, and every duplicate must be refused
 * as a duplicate. See `runConversation` for why the bounds hold.
 */
import { expect } from 'vitest';
import { CiphertextMessageType } from '@signalapp/libsignal-client';
import type { EndpointId, SessionEndpoint, WireMessage } from '@sealpost/devkit/libsignal';
import { SeededRandom } from '@sealpost/devkit/prng';
import { ratchetKeyHex } from './wire-peek.ts';

export type { EndpointId, SessionEndpoint } from '@sealpost/devkit/libsignal';

/** Counts of what crossed the simulated network. */
export interface Tally {
  /** Messages decrypted by B (sent by A), and by A (sent by B). */
  aToB: number;
  bToA: number;
  dropped: number;
  duplicatesRejected: number;
  /** Deliveries that arrived after a later message of the same sender. */
  reordered: number;
  /** ...of which arrived after a message from a NEWER chain of that sender. */
  reorderedAcrossChains: number;
}

interface InFlight {
  from: 'a' | 'b';
  message: WireMessage;
  plaintext: Uint8Array;
  /** Index of the sender's ratchet key (its sending chain), in creation order. */
  epoch: number;
  /** Send order of this message among its sender's messages. */
  seq: number;
  /** Set once delivered: any further delivery is a duplicate. */
  delivered: boolean;
}

export interface ConversationOptions {
  seed: number;
  /** Messages each side sends in total. */
  messagesEach: number;
  dropRate?: number;
  duplicateRate?: number;
}

/**
 * libsignal keeps the newest 5 receiver chains; a message whose chain is
 * older than that is undecryptable by design, so the schedule never asks for
 * it (see `runConversation`).
 */
export const MAX_RECEIVER_CHAINS = 5;

const encoder = new TextEncoder();

function plaintextFor(rng: SeededRandom, from: string, index: number): Uint8Array {
  // A readable tag plus random padding, so lengths cross AES block boundaries.
  const tag = encoder.encode(`${from}#${index}:`);
  const pad = rng.bytes(rng.int(48));
  const out = new Uint8Array(tag.length + pad.length);
  out.set(tag);
  out.set(pad, tag.length);
  return out;
}

/**
 * Runs an interleaved conversation between `a` and `b`. `a` must already
 * have a session; `b` may still be waiting for a's first PreKey message (it
 * starts sending once it has a session). Each step either side sends, or a
 * random in-flight message (either direction) is delivered — so messages are
 * reordered within and across chains. Some sends are dropped; some delivered
 * messages are queued again and must then fail as duplicates.
 *
 * Within bounds: we read each message's ratchet key (its chain) and number
 * the sender's chains in creation order. A receiver keeps its newest
 * MAX_RECEIVER_CHAINS chains, so before a delivery would make some other
 * in-flight message fall out of that window, that older message is
 * delivered first. Everything else is left to the PRNG.
 */
export async function runConversation(a: SessionEndpoint, b: SessionEndpoint, options: ConversationOptions): Promise<Tally> {
  const rng = new SeededRandom(options.seed);
  const dropRate = options.dropRate ?? 0.03;
  const duplicateRate = options.duplicateRate ?? 0.03;
  const tally: Tally = { aToB: 0, bToA: 0, dropped: 0, duplicatesRejected: 0, reordered: 0, reorderedAcrossChains: 0 };
  /** Highest send sequence number each side has had delivered. */
  const newestSeq = { a: -1, b: -1 };
  const sent = { a: 0, b: 0 };
  /** Each side's sending ratchet keys (hex) -> chain index. */
  const chains = { a: new Map<string, number>(), b: new Map<string, number>() };
  /** Newest chain index of the OTHER side that this side has received. */
  const newestSeen = { a: -1, b: -1 };
  const inFlight: InFlight[] = [];

  const endpoint = (side: 'a' | 'b'): SessionEndpoint => (side === 'a' ? a : b);
  const other = (side: 'a' | 'b'): 'a' | 'b' => (side === 'a' ? 'b' : 'a');

  const send = async (side: 'a' | 'b'): Promise<void> => {
    const from = endpoint(side);
    const to = endpoint(other(side));
    const plaintext = plaintextFor(rng, side, sent[side]);
    const message = await from.encrypt(to.id, plaintext);
    sent[side]++;
    const key = ratchetKeyHex(message);
    let epoch = chains[side].get(key);
    if (epoch === undefined) {
      epoch = chains[side].size;
      chains[side].set(key, epoch);
    }
    if (rng.chance(dropRate)) {
      tally.dropped++;
      return;
    }
    inFlight.push({ from: side, message, plaintext, epoch, seq: sent[side] - 1, delivered: false });
  };

  const deliver = async (item: InFlight): Promise<void> => {
    const fromSide = item.from;
    const toSide = other(fromSide);
    const from = endpoint(fromSide);
    const to = endpoint(toSide);
    if (item.delivered) {
      const err = await to.decrypt(from.id, item.message).then(
        () => new Error(`${to.implementation} accepted a duplicate from ${from.implementation}`),
        (e: unknown) => e,
      );
      if (!to.isDuplicateError(err)) throw err;
      tally.duplicatesRejected++;
      return;
    }
    const plaintext = await to.decrypt(from.id, item.message);
    expect(plaintext).toEqual(item.plaintext);
    item.delivered = true;
    if (item.seq < newestSeq[fromSide]) tally.reordered++;
    if (item.epoch < newestSeen[toSide]) tally.reorderedAcrossChains++;
    newestSeq[fromSide] = Math.max(newestSeq[fromSide], item.seq);
    newestSeen[toSide] = Math.max(newestSeen[toSide], item.epoch);
    if (fromSide === 'a') tally.aToB++;
    else tally.bToA++;
    // A delivered message may be replayed later.
    if (rng.chance(duplicateRate)) inFlight.push(item);
  };

  const deliverRandom = async (): Promise<void> => {
    let index = rng.int(inFlight.length);
    const pick = inFlight[index]!;
    const toSide = other(pick.from);
    const wouldSee = Math.max(newestSeen[toSide], pick.epoch);
    // Oldest in-flight message to the same receiver: deliver it first if the
    // pick would push it out of the receiver's chain window.
    let oldest = index;
    for (let i = 0; i < inFlight.length; i++) {
      const it = inFlight[i]!;
      if (it.from === pick.from && it.epoch < inFlight[oldest]!.epoch) oldest = i;
    }
    if (inFlight[oldest]!.epoch <= wouldSee - MAX_RECEIVER_CHAINS) index = oldest;
    const [item] = inFlight.splice(index, 1);
    await deliver(item!);
  };

  while (sent.a < options.messagesEach || sent.b < options.messagesEach || inFlight.length > 0) {
    const r = rng.next();
    if (r < 0.25 && sent.a < options.messagesEach && (await a.hasSession(b.id))) await send('a');
    else if (r < 0.5 && r >= 0.25 && sent.b < options.messagesEach && (await b.hasSession(a.id))) await send('b');
    else if (inFlight.length > 0) await deliverRandom();
    else if (sent.a < options.messagesEach) await send('a');
    else if (sent.b < options.messagesEach) {
      // b has no session and nothing is in flight: a's first messages were
      // all dropped; a sends another (still a PreKey message).
      if (await b.hasSession(a.id)) await send('b');
      else throw new Error('b cannot send and nothing is in flight');
    }
  }
  return tally;
}

/** Sends one message each way and checks both decrypt (a must have a session). */
export async function exchange(a: SessionEndpoint, b: SessionEndpoint, label: string): Promise<{ aToB: number; bToA: number }> {
  const m1 = encoder.encode(`${label}: ${a.implementation} -> ${b.implementation}`);
  expect(await b.decrypt(a.id, await a.encrypt(b.id, m1))).toEqual(m1);
  const m2 = encoder.encode(`${label}: ${b.implementation} -> ${a.implementation}`);
  expect(await a.decrypt(b.id, await b.encrypt(a.id, m2))).toEqual(m2);
  return { aToB: 1, bToA: 1 };
}

/** Counts per direction for the scenarios below. */
export interface Crossed {
  aToB: number;
  bToA: number;
}

async function expectRejects(p: Promise<unknown>, accept: (e: unknown) => boolean, what: string): Promise<void> {
  const err = await p.then(
    () => new Error(`expected ${what}, but the call succeeded`),
    (e: unknown) => e,
  );
  if (!accept(err)) throw err;
}

/**
 * One side loses its session (a reinstall) and re-establishes it.
 *
 * 1. `a` initiates with `b`; a few messages cross both ways.
 * 2. `resetter` forgets the session. A message the other side still sends on
 *    the old session is refused with a no-session error, and the resetter
 *    cannot encrypt (no session).
 * 3. The resetter fetches the other side's fresh bundle and initiates again;
 *    its PreKey message replaces the other side's old session, the reply
 *    decrypts, and a reordered conversation of `messagesEach` follows.
 */
export async function runResetScenario(
  a: SessionEndpoint,
  b: SessionEndpoint,
  options: { resetter: 'a' | 'b'; withOneTimePreKey: boolean; seed: number; messagesEach: number },
): Promise<Crossed> {
  const crossed: Crossed = { aToB: 0, bToA: 0 };
  const add = (dir: 'aToB' | 'bToA', n: number): void => {
    crossed[dir] += n;
  };
  await a.startSession(b.id, await b.bundle({ withOneTimePreKey: options.withOneTimePreKey }));
  for (let i = 0; i < 3; i++) {
    const r = await exchange(a, b, `before reset ${i}`);
    add('aToB', r.aToB);
    add('bToA', r.bToA);
  }

  const [resetter, survivor] = options.resetter === 'a' ? [a, b] : [b, a];
  const fromSurvivor: 'aToB' | 'bToA' = options.resetter === 'a' ? 'bToA' : 'aToB';
  const fromResetter: 'aToB' | 'bToA' = options.resetter === 'a' ? 'aToB' : 'bToA';
  await resetter.resetSession(survivor.id);
  expect(await resetter.hasSession(survivor.id)).toBe(false);
  expect(await survivor.hasSession(resetter.id)).toBe(true);

  const stale = await survivor.encrypt(resetter.id, encoder.encode('on the old session'));
  await expectRejects(resetter.decrypt(survivor.id, stale), (e) => resetter.isNoSessionError(e), 'a no-session error');
  await expectRejects(resetter.encrypt(survivor.id, encoder.encode('x')), (e) => resetter.isNoSessionError(e), 'a no-session error');

  await resetter.startSession(survivor.id, await survivor.bundle({ withOneTimePreKey: options.withOneTimePreKey }));
  const hello = encoder.encode(`${resetter.implementation} is back`);
  const first = await resetter.encrypt(survivor.id, hello);
  expect(first.type).toBe(CiphertextMessageType.PreKey); // pending until answered
  expect(await survivor.decrypt(resetter.id, first)).toEqual(hello);
  add(fromResetter, 1);
  const welcome = encoder.encode(`welcome back, ${resetter.implementation}`);
  const reply = await survivor.encrypt(resetter.id, welcome);
  expect(reply.type).toBe(CiphertextMessageType.Whisper); // on the new session
  expect(await resetter.decrypt(survivor.id, reply)).toEqual(welcome);
  add(fromSurvivor, 1);

  // The old session's stale message stays undecryptable for the resetter.
  await expectRejects(resetter.decrypt(survivor.id, stale), () => true, 'an error for a message of the lost session');

  const [first2, second2] = options.resetter === 'a' ? [a, b] : [b, a];
  const tally = await runConversation(first2, second2, { seed: options.seed, messagesEach: options.messagesEach });
  add(fromResetter, tally.aToB);
  add(fromSurvivor, tally.bToA);
  return crossed;
}

/**
 * Both sides initiate at the same moment: each processes the other's bundle
 * and sends a PreKey message before receiving anything. Both PreKey messages
 * decrypt; the sides then settle on one session (each keeps the other's
 * session as a previous state and promotes whichever the peer uses), after
 * which everything is Whisper traffic and a reordered conversation of
 * `messagesEach` follows.
 */
export async function runSimultaneousInitiation(
  a: SessionEndpoint,
  b: SessionEndpoint,
  options: { withOneTimePreKey: boolean; seed: number; messagesEach: number },
): Promise<Crossed> {
  const bundleA = await a.bundle({ withOneTimePreKey: options.withOneTimePreKey });
  const bundleB = await b.bundle({ withOneTimePreKey: options.withOneTimePreKey });
  await a.startSession(b.id, bundleB);
  await b.startSession(a.id, bundleA);
  const ma = encoder.encode(`${a.implementation} initiates`);
  const mb = encoder.encode(`${b.implementation} initiates`);
  const fromA = await a.encrypt(b.id, ma);
  const fromB = await b.encrypt(a.id, mb);
  expect(fromA.type).toBe(CiphertextMessageType.PreKey);
  expect(fromB.type).toBe(CiphertextMessageType.PreKey);
  expect(await b.decrypt(a.id, fromA)).toEqual(ma);
  expect(await a.decrypt(b.id, fromB)).toEqual(mb);
  const crossed: Crossed = { aToB: 1, bToA: 1 };

  // Settle: alternate single messages; after the first round trip both
  // sides must be on one session and send plain Whisper messages.
  for (let i = 0; i < 4; i++) {
    const x = encoder.encode(`settle ${i} a->b`);
    const wa = await a.encrypt(b.id, x);
    expect(await b.decrypt(a.id, wa)).toEqual(x);
    const y = encoder.encode(`settle ${i} b->a`);
    const wb = await b.encrypt(a.id, y);
    expect(await a.decrypt(b.id, wb)).toEqual(y);
    if (i > 0) {
      expect(wa.type).toBe(CiphertextMessageType.Whisper);
      expect(wb.type).toBe(CiphertextMessageType.Whisper);
    }
    crossed.aToB++;
    crossed.bToA++;
  }
  const tally = await runConversation(a, b, { seed: options.seed, messagesEach: options.messagesEach });
  crossed.aToB += tally.aToB;
  crossed.bToA += tally.bToA;
  return crossed;
}

/**
 * A harder simultaneous start: both sides process each other's bundle and
 * then, for `rounds` rounds, each sends a burst of 1–3 messages (the first
 * rounds all PreKey messages from two competing sessions) and everything in
 * flight is delivered in a random order. Both sides must decrypt every
 * message whichever session it belongs to, promoting archived sessions as
 * libsignal does, until they settle on one.
 */
export async function runSimultaneousBursts(
  a: SessionEndpoint,
  b: SessionEndpoint,
  options: { seed: number; rounds: number; withOneTimePreKey: boolean },
): Promise<Crossed & { preKeyMessages: { a: number; b: number } }> {
  const rng = new SeededRandom(options.seed);
  await a.startSession(b.id, await b.bundle({ withOneTimePreKey: options.withOneTimePreKey }));
  await b.startSession(a.id, await a.bundle({ withOneTimePreKey: options.withOneTimePreKey }));
  const crossed = { aToB: 0, bToA: 0, preKeyMessages: { a: 0, b: 0 } };
  const queue: { from: SessionEndpoint; to: SessionEndpoint; message: WireMessage; plaintext: Uint8Array }[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const burst = 1 + rng.int(3);
      for (let k = 0; k < burst; k++) {
        const plaintext = plaintextFor(rng, from.implementation, round * 10 + k);
        const message = await from.encrypt(to.id, plaintext);
        if (message.type === CiphertextMessageType.PreKey) crossed.preKeyMessages[from === a ? 'a' : 'b']++;
        queue.push({ from, to, message, plaintext });
      }
    }
    while (queue.length > 0) {
      const [item] = queue.splice(rng.int(queue.length), 1);
      expect(await item!.to.decrypt(item!.from.id, item!.message)).toEqual(item!.plaintext);
      if (item!.from === a) crossed.aToB++;
      else crossed.bToA++;
    }
  }
  return crossed;
}
