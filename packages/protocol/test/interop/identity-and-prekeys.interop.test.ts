/**
 * Identity-key checks and prekey bookkeeping across implementations: a peer
 * that comes back with a new identity key is refused as untrusted (by us and
 * by libsignal-client 0.90.0) until the caller accepts it, and a PreKey
 * message naming a one-time prekey we already consumed is refused with
 * UnknownPreKeyError.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, LibSignalErrorBase } from '@signalapp/libsignal-client';
import { UnknownPreKeyError, UntrustedIdentityError } from '../../src/index.ts';
import { LibsignalEndpoint } from '@sealpost/devkit/libsignal';
import { OursEndpoint } from '@sealpost/devkit/ours';
import { exchange } from '../support/session-scenarios.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('interop: identity keys and prekeys with libsignal-client 0.90.0', () => {
  it('interop: a libsignal peer with a new identity key is refused as untrusted by us until accepted', async () => {
    const ours = new OursEndpoint({ name: 'ours', registrationId: 10 });
    const ls = new LibsignalEndpoint({ name: 'ls', registrationId: 11 });
    await ls.startSession(ours.id, await ours.bundle({ withOneTimePreKey: true }));
    await exchange(ls, ours, 'before');
    const recordBefore = ours.sessions.get('ls.1');

    // Same address, reinstalled with a fresh identity key.
    const reinstalled = new LibsignalEndpoint({ name: 'ls', registrationId: 12 });
    await reinstalled.startSession(ours.id, await ours.bundle({ withOneTimePreKey: true }));
    const m = await reinstalled.encrypt(ours.id, text('new identity'));
    const err = await failure(ours.decrypt(reinstalled.id, m));
    expect(err).toBeInstanceOf(UntrustedIdentityError);
    expect((err as UntrustedIdentityError).code).toBe('UNTRUSTED_IDENTITY');
    expect((err as UntrustedIdentityError).identityKey).toEqual(reinstalled.peer.identityPublic);
    expect(ours.sessions.get('ls.1')).toEqual(recordBefore);

    // The user accepts the new key: the same message now decrypts.
    ours.identities.delete('ls.1');
    expect(await ours.decrypt(reinstalled.id, m)).toEqual(text('new identity'));
    await exchange(reinstalled, ours, 'after accepting');
    console.log('interop: identity change (libsignal reinstalls): libsignal->ours 3 messages, ours->libsignal 2 messages');
  });

  it('interop: libsignal refuses our new identity key as untrusted', async () => {
    const ours = new OursEndpoint({ name: 'ours', registrationId: 20 });
    const ls = new LibsignalEndpoint({ name: 'ls', registrationId: 21 });
    await ours.startSession(ls.id, await ls.bundle({ withOneTimePreKey: false }));
    await exchange(ours, ls, 'before');

    const reinstalled = new OursEndpoint({ name: 'ours', registrationId: 22 });
    await reinstalled.startSession(ls.id, await ls.bundle({ withOneTimePreKey: false }));
    const m = await reinstalled.encrypt(ls.id, text('new identity'));
    const err = await failure(ls.decrypt(reinstalled.id, m));
    expect(err).toBeInstanceOf(LibSignalErrorBase);
    expect((err as LibSignalErrorBase).code).toBe(ErrorCode.UntrustedIdentity);

    // And our own trust check refuses libsignal's bundle under a new identity.
    const lsReinstalled = new LibsignalEndpoint({ name: 'ls', registrationId: 23 });
    const ourErr = await failure(ours.startSession(lsReinstalled.id, await lsReinstalled.bundle({ withOneTimePreKey: false })));
    expect(ourErr).toBeInstanceOf(UntrustedIdentityError);
    console.log('interop: identity change (ours reinstalls): ours->libsignal 2 messages (1 refused), libsignal->ours 1 messages');
  });

  it('interop: a PreKey message naming an already consumed one-time prekey is refused (UnknownPreKeyError)', async () => {
    const ours = new OursEndpoint({ name: 'ours', registrationId: 30 });
    const bundle = await ours.bundle({ withOneTimePreKey: true });
    const first = new LibsignalEndpoint({ name: 'ls-1', registrationId: 31 });
    await first.startSession(ours.id, bundle);
    expect(await ours.decrypt(first.id, await first.encrypt(ours.id, text('took the key')))).toEqual(text('took the key'));
    expect(ours.removedPreKeys).toEqual([bundle.preKeyId]);

    // A second device was (wrongly) handed the same one-time prekey.
    const second = new LibsignalEndpoint({ name: 'ls-2', registrationId: 32 });
    await second.startSession(ours.id, bundle);
    const err = await failure(ours.decrypt(second.id, await second.encrypt(ours.id, text('same key'))));
    expect(err).toBeInstanceOf(UnknownPreKeyError);
    expect(err).toMatchObject({ code: 'UNKNOWN_PREKEY', kind: 'one-time', preKeyId: bundle.preKeyId });
    expect(ours.sessions.has('ls-2.1')).toBe(false);
    console.log('interop: consumed one-time prekey: libsignal->ours 2 messages (1 refused)');
  });
});
