/**
 * A seeded lossy network between two of our devices: sends may be dropped,
 * deliveries happen in random order, and delivered messages are sometimes
 * delivered again (and must then be refused as duplicates).
 *
 * Bounds: a receiver keeps only its newest MAX_RECEIVER_CHAINS chains, so a
 * delivery that would open a chain and push an older chain (with messages
 * still in flight) out of that window first delivers those older messages.
 * Everything else is up to the PRNG.
 */
import { expect } from 'vitest';
import { DuplicateMessageError } from '../../src/errors.ts';
import { type CiphertextMessage, MAX_RECEIVER_CHAINS } from '../../src/index.ts';
import { decodePreKeySignalMessage } from '../../src/messages/prekey-signal-message.ts';
import { decodeSignalMessage } from '../../src/messages/signal-message.ts';
import { toHex } from '../../src/primitives/index.ts';
import { deserializeMessage } from '../../src/spqr/message.ts';
import { decodePqRatchetState } from '../../src/spqr/state-codec.ts';
import type { SeededRandom as Prng } from '@sealpost/devkit/prng';
import type { Device } from './helpers.ts';

interface InFlight {
  from: Device;
  to: Device;
  message: CiphertextMessage;
  plaintext: Uint8Array;
  chainKey: string;
  duplicate: boolean;
}

export interface NetworkTally {
  delivered: Map<string, number>;
  dropped: number;
  duplicatesRejected: number;
  outOfOrder: number;
}

/** The sender ratchet key of a message (names its chain). */
export function ratchetKeyOf(m: CiphertextMessage): string {
  const inner = m.type === 'prekey' ? decodePreKeySignalMessage(m.serialized).message : decodeSignalMessage(m.serialized);
  return toHex(inner.senderRatchetKey);
}

/** The SPQR chain epoch a message is keyed in (its SPQR epoch - 1), -1 without SPQR. */
function spqrKeyEpoch(m: CiphertextMessage): bigint {
  const inner = m.type === 'prekey' ? decodePreKeySignalMessage(m.serialized).message : decodeSignalMessage(m.serialized);
  return inner.pqRatchet.length === 0 ? -1n : deserializeMessage(inner.pqRatchet).msg.epoch - 1n;
}

export class Network {
  readonly inFlight: InFlight[] = [];
  readonly tally: NetworkTally = { delivered: new Map(), dropped: 0, duplicatesRejected: 0, outOfOrder: 0 };
  /** Per receiver: chain keys in the order that receiver opened them. */
  private readonly opened = new Map<Device, string[]>();
  private readonly lastSeq = new Map<Device, number>();
  private seq = 0;
  private readonly seqOf = new WeakMap<InFlight, number>();

  constructor(
    private readonly rng: Prng,
    private readonly dropRate = 0.03,
    private readonly duplicateRate = 0.03,
  ) {}

  send(from: Device, to: Device, text: string): void {
    this.keepSpqrWindow(from, to);
    const pad = this.rng.bytes(this.rng.int(40));
    const plaintext = new Uint8Array([...new TextEncoder().encode(text), ...pad]);
    const message = from.encrypt(to.name, plaintext);
    if (this.rng.next() < this.dropRate) {
      this.tally.dropped++;
      return;
    }
    const f: InFlight = { from, to, message, plaintext, chainKey: ratchetKeyOf(message), duplicate: false };
    this.seqOf.set(f, this.seq++);
    this.inFlight.push(f);
  }

  /** Delivers one random in-flight message (respecting the chain window). */
  /**
   * SPQR keeps the keys of one epoch before the one it sends in: sending can
   * drop every epoch older than (newest - 1). Like the receiver-chain window
   * above, the schedule delivers messages to `from` keyed in such an epoch
   * before `from` sends (libsignal's window, not a loss of ours).
   */
  private keepSpqrWindow(from: Device, to: Device): void {
    const pq = from.sessions.get(to.name)?.current?.pqRatchetState;
    if (pq === undefined || pq.length === 0) return;
    const chain = decodePqRatchetState(pq).chain;
    if (chain === undefined) return;
    for (;;) {
      const at = this.inFlight.findIndex((g) => g.to === from && !g.duplicate && spqrKeyEpoch(g.message) < chain.currentEpoch - 1n);
      if (at < 0) return;
      this.deliverAt(at);
    }
  }

  deliverRandom(): void {
    if (this.inFlight.length === 0) return;
    this.deliverAt(this.rng.int(this.inFlight.length));
  }

  deliverAll(): void {
    while (this.inFlight.length > 0) this.deliverRandom();
  }

  private deliverAt(index: number): void {
    const f = this.inFlight[index]!;
    const opened = this.opened.get(f.to) ?? [];
    if (!opened.includes(f.chainKey)) {
      // Opening a chain: older chains beyond the window must be drained first.
      const after = [...opened, f.chainKey];
      const evicted = new Set(after.slice(0, Math.max(0, after.length - MAX_RECEIVER_CHAINS)));
      const first = this.inFlight.findIndex((g) => g.to === f.to && evicted.has(g.chainKey));
      if (first >= 0) {
        this.deliverAt(first);
        return;
      }
    }
    this.inFlight.splice(index, 1);
    if (f.duplicate) {
      expect(() => f.to.decrypt(f.from.name, f.message)).toThrow(DuplicateMessageError);
      this.tally.duplicatesRejected++;
      return;
    }
    const plaintext = f.to.decrypt(f.from.name, f.message);
    expect(plaintext).toEqual(f.plaintext);
    if (!opened.includes(f.chainKey)) this.opened.set(f.to, [...opened, f.chainKey]);
    const s = this.seqOf.get(f)!;
    if (s < (this.lastSeq.get(f.to) ?? -1)) this.tally.outOfOrder++;
    this.lastSeq.set(f.to, Math.max(s, this.lastSeq.get(f.to) ?? -1));
    const key = `${f.from.name}->${f.to.name}`;
    this.tally.delivered.set(key, (this.tally.delivered.get(key) ?? 0) + 1);
    if (this.rng.next() < this.duplicateRate) {
      const dup: InFlight = { ...f, duplicate: true };
      this.seqOf.set(dup, s);
      this.inFlight.push(dup);
    }
  }
}
