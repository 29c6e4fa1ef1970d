/**
 * Ours: @sealpost/protocol's functional core driven the way an app's
 * in-memory store drives it — the dev kit's `OursPeer` (the interop tests'
 * device) keeping the immutable `SessionRecord` values the core returns (as
 * the libsignal-client harness holds its native records), identities checked
 * on every step, messages crossing as serialized bytes.
 */
import { deserializeSessionRecord, type SessionRecord } from '@sealpost/protocol';
import type { WireMessage } from '@sealpost/devkit/libsignal';
import { OursPeer } from '@sealpost/devkit/ours';
import { ALL_SCENARIOS, type Conversation, type Implementation, type Side } from './contract.ts';

type Bundle = ReturnType<OursPeer['bundle']>;

const HELLO = new TextEncoder().encode('hello');

function party(name: string, registrationId: number, spqr: boolean): OursPeer {
  return new OursPeer({ name, registrationId, keeping: 'live', spqr });
}

/** A bundle with a fresh one-time prekey and the party's last-resort signed + Kyber prekeys. */
function bundleOf(peer: OursPeer): Bundle {
  return peer.bundle({ withOneTimePreKey: true, lastResort: true });
}

function handshake(spqr: boolean): { alice: OursPeer; bob: OursPeer } {
  const alice = party('alice', 1111, spqr);
  const bob = party('bob', 2222, spqr);
  alice.startSession('bob', bundleOf(bob));
  bob.decrypt('alice', alice.encrypt('bob', HELLO));
  alice.decrypt('bob', bob.encrypt('alice', HELLO));
  return { alice, bob };
}

/**
 * Builds our implementation's harness: with SPQR (the default of every new
 * session, as libsignal >= 0.92 requires; like for like with the
 * libsignal-client column, which always runs SPQR) or, as column
 * `sealpost:no-spqr`, the Double Ratchet alone (the work the rows measured
 * before SPQR landed, kept for before/after comparisons).
 */
export function sealpost(spqr = true): Implementation {
  let setupAlice: OursPeer | undefined;
  let setupBob: OursPeer | undefined;
  let bundles: Bundle[] = [];

  return {
    name: spqr ? 'sealpost' : 'sealpost:no-spqr',
    description: spqr
      ? '@sealpost/protocol (this repo): pure TS functional core, PQXDH (Kyber1024), node:crypto + noble; immutable records held in memory; SPQR on (like for like with both libsignal-client columns)'
      : '@sealpost/protocol (this repo) as above with SPQR off: the Double Ratchet alone (what the rows measured before SPQR; not like for like with libsignal)',
    supports: ALL_SCENARIOS,

    async establish(): Promise<Conversation> {
      const { alice, bob } = handshake(spqr);
      const of = (side: Side): OursPeer => (side === 'alice' ? alice : bob);
      const peer = (side: Side): string => (side === 'alice' ? 'bob' : 'alice');
      return {
        send: (from, plaintext) => of(from).encrypt(peer(from), plaintext),
        receive: (to, message) => of(to).decrypt(peer(to), message as WireMessage),
        recordBytes: (side) => of(side).recordBytes(peer(side))!,
        messageBytes: (message) => (message as WireMessage).bytes.length,
      };
    },

    async prepareSetups(count: number): Promise<void> {
      setupAlice = party('alice', 1111, spqr);
      setupBob = party('bob', 2222, spqr);
      bundles = [];
      for (let i = 0; i < count; i++) bundles.push(bundleOf(setupBob));
    },

    async setupOnce(index: number): Promise<void> {
      // A fresh peer name per setup so each is a new session, not an archive of the last.
      setupAlice!.startSession(`bob-${index}`, bundles[index]!);
      const plaintext = setupBob!.decrypt(`alice-${index}`, setupAlice!.encrypt(`bob-${index}`, HELLO));
      if (plaintext.length !== HELLO.length) throw new Error('sealpost setup: wrong plaintext');
    },

    async holdSessions(count: number): Promise<unknown[]> {
      const { alice } = handshake(spqr);
      const bytes = alice.recordBytes('bob')!;
      const held: SessionRecord[] = [];
      for (let i = 0; i < count; i++) held.push(deserializeSessionRecord(bytes));
      return held;
    },
  };
}
