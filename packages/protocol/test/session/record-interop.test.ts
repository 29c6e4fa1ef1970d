/**
 * Session records cross between implementations: a libsignal-client 0.90.0
 * SessionRecord (from a session with a peer of ours, so SPQR was negotiated
 * away) loads in ours and the conversation continues; the record we write
 * back loads in libsignal and continues there.
 *
 * A record of a libsignal <-> libsignal session that completed SPQR
 * negotiation is out of scope: its message keys depend on SPQR, which we do
 * not run (see the last test).
 */
import { describe, expect, it } from 'vitest';
import { CiphertextMessageType, SessionRecord as LsSessionRecord, ProtocolAddress } from '@signalapp/libsignal-client';
import { BadMacError } from '../../src/errors.ts';
import {
  type SessionRecord,
  decryptMessage,
  deserializeSessionRecord,
  encryptMessage,
  serializeSessionRecord,
} from '../../src/index.ts';
import { ab } from '@sealpost/devkit/libsignal';
import { LibsignalPeer } from '@sealpost/devkit/libsignal';
import { Device, text, utf8 } from './helpers.ts';

const aliceAddress = ProtocolAddress.new('alice', 1);

describe('session records with libsignal-client 0.90.0', () => {
  it('interop: a libsignal session record loads in ours, continues, and goes back to libsignal', async () => {
    const alice = new Device('alice');
    const bob = new LibsignalPeer({ name: 'bob' });
    alice.startSession('bob', bob.generateBundle({ withOneTimePreKey: true }));
    const first = alice.encrypt('bob', utf8('hello'));
    expect(text(await bob.decrypt(aliceAddress, { type: CiphertextMessageType.PreKey, bytes: first.serialized }))).toBe('hello');
    const ack = await bob.encrypt(aliceAddress, utf8('ack'));
    expect(text(alice.decrypt('bob', { type: 'whisper', serialized: ack.bytes }))).toBe('ack');

    // Bob's libsignal record moves to our implementation.
    const lsRecord = (await bob.sessionStore.getSession(aliceAddress))!;
    const lsBytes = lsRecord.serialize();
    let ours: SessionRecord = deserializeSessionRecord(lsBytes);
    // Same layout, field for field: re-encoding gives libsignal's exact bytes.
    expect(serializeSessionRecord(ours)).toEqual(lsBytes);
    expect(ours.current!.version).toBe(4);
    expect(ours.current!.remoteIdentityKey).toEqual(alice.identity.publicKey);
    expect(ours.current!.localIdentityKey).toEqual(bob.identityPublic);

    let crossed = 2;
    for (let round = 0; round < 5; round++) {
      const fromAlice = alice.encrypt('bob', utf8(`a${round}`));
      const d = decryptMessage({ record: ours, message: fromAlice.serialized });
      expect(text(d.plaintext)).toBe(`a${round}`);
      ours = d.record;
      const e = encryptMessage({ record: ours, plaintext: utf8(`b${round}`) });
      ours = e.record;
      expect(e.message.type).toBe('whisper');
      expect(text(alice.decrypt('bob', e.message))).toBe(`b${round}`);
      crossed += 2;
    }

    // ...and back to libsignal, which picks up where we left off.
    await bob.sessionStore.saveSession(aliceAddress, LsSessionRecord.deserialize(ab(serializeSessionRecord(ours))));
    const again = await bob.encrypt(aliceAddress, utf8('back in libsignal'));
    expect(text(alice.decrypt('bob', { type: 'whisper', serialized: again.bytes }))).toBe('back in libsignal');
    const toBob = alice.encrypt('bob', utf8('and to bob'));
    expect(text(await bob.decrypt(aliceAddress, { type: CiphertextMessageType.Whisper, bytes: toBob.serialized }))).toBe(
      'and to bob',
    );
    crossed += 2;
    console.log(`record interop: ${crossed} messages crossed around a record moved libsignal -> ours -> libsignal`);
  });

  it('interop: a libsignal <-> libsignal record with SPQR negotiated loads, and its SPQR-keyed messages decrypt (a forged one fails cleanly)', async () => {
    const a = new LibsignalPeer({ name: 'a' });
    const b = new LibsignalPeer({ name: 'b' });
    await a.processBundle(b.address, b.generateBundle({ withOneTimePreKey: false }));
    await b.decrypt(a.address, await a.encrypt(b.address, utf8('hello')));
    await a.decrypt(b.address, await b.encrypt(a.address, utf8('ack')));
    const bytes = (await b.sessionStore.getSession(a.address))!.serialize();
    const ours = deserializeSessionRecord(bytes);
    expect(ours.current!.pqRatchetState.length).toBeGreaterThan(0);
    const m = await a.encrypt(b.address, utf8('spqr keyed'));
    const before = serializeSessionRecord(ours);
    const forged = m.bytes.slice();
    forged[forged.length - 1]! ^= 1;
    expect(() => decryptMessage({ record: ours, message: forged })).toThrow(BadMacError);
    expect(serializeSessionRecord(ours)).toEqual(before);
    expect(text(decryptMessage({ record: ours, message: m.bytes }).plaintext)).toBe('spqr keyed');
  });
});
