/**
 * Helpers for the group (sender key) tests: a libsignal-client 0.90 member
 * with a sender-key store, and our records moved in and out of it.
 * libsignal-client is test-only (AGPL).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { toHex } from '../../src/primitives/index.ts';
import { ProtocolAddress } from '@signalapp/libsignal-client';
import { InMemorySenderKeyStore } from '@sealpost/devkit/libsignal';
import type { SenderKeyRecord } from '../../src/groups/index.ts';
import { nextSenderChainKey, serializeSenderKeyRecord } from '../../src/groups/index.ts';

/** A libsignal device's view of the group: its sender-key store and the sender's address. */
export interface LibsignalMember {
  store: InMemorySenderKeyStore;
  address: ProtocolAddress;
}

/** A fresh libsignal store plus an address (of the sender whose records it keeps). */
export function libsignalMember(sender: ProtocolAddress = ProtocolAddress.new(randomUUID(), 1)): LibsignalMember {
  return { store: new InMemorySenderKeyStore(), address: sender };
}

/** Serialized record bytes, for "untouched on failure" checks. */
export function recordBytes(record: SenderKeyRecord | undefined): Uint8Array | undefined {
  return record === undefined ? undefined : serializeSenderKeyRecord(record);
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A deterministic shuffle (seeded LCG), so a failure reproduces. */
export function shuffled<T>(items: readonly T[], seed = 1): T[] {
  const out = items.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What a libsignal call threw: its `code` (ErrorCode) and message; fails the test if it did not throw. */
export async function libsignalFailure(run: () => Promise<unknown>): Promise<{ code: unknown; message: string }> {
  try {
    await run();
  } catch (e) {
    const err = e as { code?: unknown; message?: string };
    return { code: err.code, message: String(err.message) };
  }
  throw new Error('expected libsignal to throw');
}

/**
 * Our sender record with its chain moved `steps` iterations on (as if that
 * many messages had been sent), stepping the chain key by hand.
 */
export function advancedSenderRecord(record: SenderKeyRecord, steps: number): SenderKeyRecord {
  const state = record.states[0]!;
  let chain = state.chainKey!;
  for (let i = 0; i < steps; i++) chain = nextSenderChainKey(chain);
  return { states: [{ ...state, chainKey: chain }, ...record.states.slice(1)] };
}

/**
 * Byte equality for records (kilobytes): compared as hex strings, which
 * vitest checks at once, where `toEqual` on a large Uint8Array walks it
 * element by element (~80 ms for a 12 KB record under the shared machine).
 */
export function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array | undefined): void {
  expect(actual === undefined ? 'undefined' : toHex(actual)).toBe(expected === undefined ? 'undefined' : toHex(expected));
}
