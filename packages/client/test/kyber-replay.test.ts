/**
 * Last-resort Kyber prekey replay (libsignal `markKyberPreKeyUsed`): a
 * PreKeySignalMessage that built its session from the last-resort Kyber key
 * (no one-time keys left) is refused when it arrives again after its session
 * is gone — the base key was recorded with the key's use — and the first
 * delivery stays stored exactly once.
 */
import { describe, expect, it } from 'vitest';
import type { ClientProblem } from '../src/client.ts';
import { KyberPreKeyReplayError } from '../src/errors.ts';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();

describe('last-resort Kyber prekey replay', () => {
  it('refuses a replayed PreKeySignalMessage that used the last-resort Kyber key, with a typed error', async () => {
    const alice = local.client();
    const bob = local.client();
    const fetcher = local.client();
    await Promise.all([alice.register(), bob.register(), fetcher.register()]);
    await alice.addContact(bob.contactCard());
    // Use up Bob's one-time keys: from now on bundles carry only the last-resort Kyber key and no EC prekey.
    for (let i = 0; i < 100; i++) await fetcher.keyServer.bundles(bob.address.account, 1);
    const [drained] = await fetcher.keyServer.bundles(bob.address.account, 1);
    expect(drained!.preKey).toBeUndefined();
    const lastResort = (await bob.store.kyberPreKeys.list()).find((k) => k.lastResort)!;
    expect(drained!.pqPreKey.keyId).toBe(lastResort.id);

    await alice.send(bob.address.account, { text: 'once' });
    const { envelopes } = await bob.relay.fetch();
    expect(envelopes).toHaveLength(1);
    const problems: ClientProblem[] = [];
    bob.on('error', (p) => problems.push(p));
    await bob.receiveEnvelope(envelopes[0]!);
    expect((await bob.history(alice.address.account)).map((m) => m.decoded.text)).toEqual(['once']);

    // The session is gone (e.g. reset); the same sealed bytes come back under a new envelope id.
    await bob.store.sessions.remove(alice.address);
    await bob.receiveEnvelope({ ...envelopes[0]!, id: `${envelopes[0]!.id}-replayed` });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.error).toBeInstanceOf(KyberPreKeyReplayError);
    expect((problems[0]!.error as KyberPreKeyReplayError).code).toBe('PREKEY_REPLAY');
    expect((problems[0]!.error as KyberPreKeyReplayError).kyberPreKeyId).toBe(lastResort.id);
    // Nothing of the replay was kept: the first delivery is stored exactly once, no session was rebuilt.
    expect((await bob.history(alice.address.account)).map((m) => m.decoded.text)).toEqual(['once']);
    expect(await bob.store.history.count()).toBe(1);
    expect(await bob.store.sessions.load(alice.address)).toBeUndefined();
    // The last-resort key itself stays usable.
    expect(await bob.store.kyberPreKeys.load(lastResort.id)).toMatchObject({ lastResort: true });
  });
});
