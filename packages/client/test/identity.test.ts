import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Fingerprint, PublicKey } from '@signalapp/libsignal-client';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import type { ClientProblem } from '../src/client.ts';
import type { IdentityChange } from '../src/identity.ts';
import { checkIdentity } from '../src/identity.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { accountIdBytes, computeSafetyNumber } from '../src/safety-number.ts';
import { IdentityChangedError } from '../src/errors.ts';
import { impersonate } from '@sealpost/devkit/services';
import { useLocalServices } from './support/local-services.ts';

const local = useLocalServices();
const newClient = local.client;

describe('safety numbers', () => {
  it('equal libsignal-client Fingerprint (displayable and scannable) for the same inputs', () => {
    for (let i = 0; i < 5; i++) {
      const a = { account: randomUUID(), identityKey: generateIdentityKeyPair().publicKey };
      const b = { account: randomUUID(), identityKey: generateIdentityKeyPair().publicKey };
      const ours = computeSafetyNumber(a, b);
      const theirs = Fingerprint.new(
        5200,
        2,
        Buffer.from(accountIdBytes(a.account)),
        PublicKey.deserialize(Buffer.from(a.identityKey)),
        Buffer.from(accountIdBytes(b.account)),
        PublicKey.deserialize(Buffer.from(b.identityKey)),
      );
      expect(ours.digits).toMatch(/^\d{60}$/);
      expect(ours.digits).toBe(theirs.displayableFingerprint().toString());
      expect(Buffer.from(ours.scannable).toString('hex')).toBe(Buffer.from(theirs.scannableFingerprint().toBuffer()).toString('hex'));
      // The other side shows the same digits, and its QR code is the mirror that libsignal accepts.
      const mirror = computeSafetyNumber(b, a);
      expect(mirror.digits).toBe(ours.digits);
      const theirMirror = Fingerprint.new(5200, 2, Buffer.from(accountIdBytes(b.account)), PublicKey.deserialize(Buffer.from(b.identityKey)), Buffer.from(accountIdBytes(a.account)), PublicKey.deserialize(Buffer.from(a.identityKey)));
      expect(theirs.scannableFingerprint().compare(theirMirror.scannableFingerprint())).toBe(true);
      expect(Buffer.from(mirror.scannable).equals(Buffer.from(theirMirror.scannableFingerprint().toBuffer()))).toBe(true);
    }
  });

  it('two real clients see the same safety number and verify each other by QR', async () => {
    const alice = newClient();
    const bob = newClient();
    await alice.register();
    await bob.register();
    await alice.addContact(bob.contactCard());
    await alice.send(bob.address.account, { text: 'hi' });
    await bob.poll();
    const a = await alice.safetyNumber(bob.address.account);
    const b = await bob.safetyNumber(alice.address.account);
    expect(a.digits).toBe(b.digits);
    expect(a.grouped.split(' ')).toHaveLength(12);
    expect(await alice.verifySafetyNumber(bob.address.account, b.scannable)).toBe(true);
    expect((await alice.store.identities.trusted(bob.address.account))?.verified).toBe(true);
    expect(await alice.verifySafetyNumber(bob.address.account, a.scannable)).toBe(false);
    await alice.close();
    await bob.close();
  });
});

describe('trust on first use', () => {
  it('trusts the first key, accepts the same key, reports a changed one, and blocks under the block policy', async () => {
    const store = new MemoryStore().identities;
    const k1 = generateIdentityKeyPair().publicKey;
    const k2 = generateIdentityKeyPair().publicKey;
    expect((await checkIdentity(store, 'acct', k1, 'warn', 1)).decision).toBe('new');
    expect((await checkIdentity(store, 'acct', k1, 'warn', 2)).decision).toBe('same');
    await expect(checkIdentity(store, 'acct', k2, 'block', 3)).rejects.toThrow(IdentityChangedError);
    expect((await store.trusted('acct'))?.identityKey).toEqual(k1);
    const changed = await checkIdentity(store, 'acct', k2, 'warn', 4);
    expect(changed.decision).toBe('changed');
    expect(changed.change).toEqual({ account: 'acct', previousKey: k1, newKey: k2, accepted: true });
    expect(await store.trusted('acct')).toEqual({ identityKey: k2, trustedAt: 4, verified: false });
  });

  it('detects an insider who impersonates a contact with another identity key (warn policy: the event fires and the new key is trusted)', async () => {
    const alice = newClient();
    const bob = newClient();
    const mallory = newClient();
    await Promise.all([alice.register(), bob.register(), mallory.register()]);
    await bob.addContact(alice.contactCard());
    await bob.send(alice.address.account, { text: 'real bob' });
    const changes: IdentityChange[] = [];
    const texts: string[] = [];
    alice.on('identityChanged', (c) => changes.push(c));
    alice.on('message', (m) => texts.push(m.content.text ?? ''));
    await alice.poll();
    const before = (await alice.safetyNumber(bob.address.account)).digits;
    const fakeKey = await impersonate(local.services, mallory, alice, bob.address.account, 'fake bob');
    await alice.poll();
    expect(texts).toEqual(['real bob', 'fake bob']);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ account: bob.address.account, newKey: fakeKey, accepted: true });
    expect((await alice.safetyNumber(bob.address.account)).digits).not.toBe(before);
    await Promise.all([alice.close(), bob.close(), mallory.close()]);
  });

  it('under the block policy refuses the impersonated message and keeps the trusted key', async () => {
    const alice = newClient({ identityPolicy: 'block' });
    const bob = newClient();
    const mallory = newClient();
    await Promise.all([alice.register(), bob.register(), mallory.register()]);
    await bob.addContact(alice.contactCard());
    await bob.send(alice.address.account, { text: 'real bob' });
    await alice.poll();
    const trusted = await alice.trustedIdentity(bob.address.account);
    const problems: ClientProblem[] = [];
    alice.on('error', (p) => problems.push(p));
    await impersonate(local.services, mallory, alice, bob.address.account, 'fake bob');
    expect(await alice.poll()).toBe(0);
    expect(problems.map((p) => (p.error as IdentityChangedError).code)).toEqual(['IDENTITY_CHANGED']);
    expect(await alice.trustedIdentity(bob.address.account)).toEqual(trusted);
    expect((await alice.history(bob.address.account)).map((m) => m.decoded.text)).toEqual(['real bob']);
    await Promise.all([alice.close(), bob.close(), mallory.close()]);
  });

  it('drops a forged "sync copy" that claims our own account with another identity key', async () => {
    const alice = newClient();
    const mallory = newClient();
    await Promise.all([alice.register(), mallory.register()]);
    const problems: ClientProblem[] = [];
    alice.on('error', (p) => problems.push(p));
    await impersonate(local.services, mallory, alice, alice.address.account, 'I am your laptop', 2);
    expect(await alice.poll()).toBe(1);
    expect(problems.map((p) => (p.error as { code?: string }).code)).toEqual(['INVALID_DATA']);
    expect(await alice.store.history.count()).toBe(0);
    await Promise.all([alice.close(), mallory.close()]);
  });
});
