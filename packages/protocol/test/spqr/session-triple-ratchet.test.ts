/**
 * The session triple-ratchet layer on its own: SPQR randomness is an input
 * (same seed, same bytes), and skipped keys kept in the old expanded form
 * (records from before seeds were stored) still decrypt without SPQR but
 * are refused, typed and without changing the record, once SPQR would
 * salt them.
 */
import { describe, expect, it } from 'vitest';
import { InvalidMessageError, type SessionRecord, serializeSessionRecord } from '../../src/index.ts';
import { deriveMessageKeys } from '../../src/ratchet/message-keys.ts';
import type { SkippedMessageKey } from '../../src/session/session-state.ts';
import { Device, text, utf8 } from '../session/helpers.ts';
import { SealpostDevice } from './sealpost-peer.ts';
import { seededRandom } from './support.ts';

/** The record with every skipped seed replaced by its unsalted expanded keys (the old layout). */
function withExpandedSkippedKeys(record: SessionRecord): SessionRecord {
  const current = record.current!;
  const expand = (k: SkippedMessageKey): SkippedMessageKey => ('seed' in k ? { index: k.index, keys: deriveMessageKeys(k.seed) } : k);
  return {
    ...record,
    current: { ...current, receiverChains: current.receiverChains.map((c) => ({ ...c, messageKeys: c.messageKeys.map(expand) })) },
  };
}

describe('session triple ratchet', () => {
  it('SPQR randomness is injectable: the same randomBytes stream gives the same messages from the same record', () => {
    const bob = new SealpostDevice('f0e1d2c3-b4a5-4968-8776-655443322110', 81);
    const starter = new SealpostDevice('01234567-89ab-4cde-8f01-23456789abcd', 82);
    starter.startSession(bob, bob.bundle(true));
    const record = starter.records.get(`${bob.address.name}.1`)!;
    const run = () => {
      const alice = new SealpostDevice(starter.address.name, 82, { randomBytes: seededRandom(5) });
      alice.records.set(`${bob.address.name}.1`, record);
      return [0, 1, 2].map((i) => Buffer.from(alice.encrypt(bob, utf8(`m${i}`)).bytes).toString('hex'));
    };
    const first = run();
    expect(run()).toEqual(first);
    // Bob reads them (they are real messages, SPQR payload included).
    const alice = new SealpostDevice(starter.address.name, 82, { randomBytes: seededRandom(5) });
    alice.records.set(`${bob.address.name}.1`, record);
    for (const i of [0, 1, 2]) expect(text(bob.decrypt(alice, alice.encrypt(bob, utf8(`m${i}`))))).toBe(`m${i}`);
  });

  for (const spqr of [false, true]) {
    it(`skipped keys in the old expanded form ${spqr ? 'are refused once SPQR salts the message (typed, record unchanged)' : 'still decrypt on a session without SPQR'}`, () => {
      const alice = new Device('alice', undefined, { spqr });
      const bob = new Device('bob', undefined, { spqr });
      alice.startSession('bob', bob.bundle(true));
      expect(text(bob.decrypt('alice', alice.encrypt('bob', utf8('hello'))))).toBe('hello');
      expect(text(alice.decrypt('bob', bob.encrypt('alice', utf8('ack'))))).toBe('ack');
      const late = alice.encrypt('bob', utf8('late'));
      expect(text(bob.decrypt('alice', alice.encrypt('bob', utf8('next'))))).toBe('next');
      bob.sessions.set('alice', withExpandedSkippedKeys(bob.sessions.get('alice')!));
      if (!spqr) {
        expect(text(bob.decrypt('alice', late))).toBe('late');
        return;
      }
      const before = serializeSessionRecord(bob.sessions.get('alice')!);
      expect(() => bob.decrypt('alice', late)).toThrow(InvalidMessageError);
      expect(serializeSessionRecord(bob.sessions.get('alice')!)).toEqual(before);
    });
  }
});
