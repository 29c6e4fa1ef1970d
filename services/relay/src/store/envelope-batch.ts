/**
 * What both envelope stores do the same way with a batch to enqueue: random
 * envelope ids, the per-device totals the queue limits are checked against,
 * the distinct shared payloads of the batch, and the full contents handed
 * back (a view ‖ its shared payload, assembled once per distinct view).
 */
import { randomBytes } from 'node:crypto';
import type { NewEnvelope, SharedPayload } from './envelope-store.ts';

/** The random pool envelope ids are cut from (16 bytes each). */
export class EnvelopeIds {
  private pool = Buffer.alloc(0);
  private offset = 0;

  /** A random 128-bit envelope id (base64url), drawn from a pooled CSPRNG buffer. */
  next(): string {
    if (this.offset + 16 > this.pool.length) {
      this.pool = randomBytes(16 * 256);
      this.offset = 0;
    }
    const id = this.pool.toString('base64url', this.offset, this.offset + 16);
    this.pool.fill(0, this.offset, this.offset + 16);
    this.offset += 16;
    return id;
  }
}

/** Bytes the device receives for this envelope (its view plus the shared part). */
export function deliveredSize(e: NewEnvelope): number {
  return e.content.length + (e.shared?.bytes.length ?? 0);
}

/** What a batch adds to one device queue. */
export interface DeviceTotal {
  accountId: string;
  deviceId: number;
  n: number;
  bytes: number;
}

/** Envelopes and delivered bytes the batch adds per device, in first-appearance order. */
export function deviceTotals(envelopes: readonly NewEnvelope[]): DeviceTotal[] {
  const added = new Map<string, DeviceTotal>();
  for (const e of envelopes) {
    const k = `${e.accountId}\u0000${e.deviceId}`;
    const entry = added.get(k);
    if (entry === undefined) added.set(k, { accountId: e.accountId, deviceId: e.deviceId, n: 1, bytes: deliveredSize(e) });
    else {
      entry.n++;
      entry.bytes += deliveredSize(e);
    }
  }
  return [...added.values()];
}

/** The distinct shared payloads of a batch (by object identity, first-appearance order), each with how many envelopes view it. */
export function sharedPayloads(envelopes: readonly NewEnvelope[]): Map<SharedPayload, number> {
  const refs = new Map<SharedPayload, number>();
  for (const e of envelopes) if (e.shared !== undefined) refs.set(e.shared, (refs.get(e.shared) ?? 0) + 1);
  return refs;
}

/** `view ‖ shared` into one new array. */
export function joinView(view: Uint8Array, shared: Uint8Array): Uint8Array {
  const out = new Uint8Array(view.length + shared.length);
  out.set(view, 0);
  out.set(shared, view.length);
  return out;
}

/**
 * The full contents of a batch's envelopes: the envelope's own bytes, or its
 * view joined to its shared payload — once per distinct (view, payload), so
 * the devices of one recipient share one array as they did before.
 */
export function fullContents(envelopes: readonly NewEnvelope[]): Uint8Array[] {
  const joined = new Map<SharedPayload, Map<Uint8Array, Uint8Array>>();
  return envelopes.map((e) => {
    if (e.shared === undefined) return e.content;
    let views = joined.get(e.shared);
    if (views === undefined) joined.set(e.shared, (views = new Map()));
    let full = views.get(e.content);
    if (full === undefined) views.set(e.content, (full = joinView(e.content, e.shared.bytes)));
    return full;
  });
}
