/**
 * Before/after of the protocol core in ONE process: the core at a git
 * revision (default: the merge base, `main`) against the working tree, with
 * SPQR on (the default of every new session), rounds interleaved, CPU time.
 * On a shared, loaded machine the two copies see the same load, so the
 * new/old ratio stays meaningful where absolute rates do not.
 *
 *   npx tsx scripts/bench/core-ab.ts [revision]      # env R = rounds (default 9), ONLY = row names, comma-separated
 *
 * The old copy is extracted with `git archive` into packages/protocol/
 * .core-ab-<rev>/ (inside the package, so its `#primitives-backend` import
 * resolves; that resolves to the working tree's node backend, so backend
 * changes are in both columns) and removed afterwards. Rows: symmetric
 * 64 B and 1 KiB (Alice → Bob, one op = encrypt + decrypt) and DH ping-pong
 * (one op = one message), each after the full handshake, as the bench's
 * rows (1) and (2); and session setup (one op = Alice processes Bob's bundle,
 * encrypts the first message, Bob decrypts it), as row (3): Bob's identity,
 * signed and Kyber prekeys fixed (last resort, as in the bench), one-time
 * prekeys from a pool made before the clock starts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as NEW from '../../packages/protocol/src/index.ts';

type Core = typeof NEW;
const HELLO = new TextEncoder().encode('hello');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A minimal device over one copy of the core: identity, one bundle's prekeys, one session. */
function device(P: Core, registrationId: number) {
  const identity = P.generateIdentityKeyPair();
  const signed = P.generateSignedPreKey({ identity, id: 2 });
  const kyber = P.generateKyberPreKey({ identity, id: 3 });
  const pre = P.generatePreKey(4);
  const isTrusted = (): boolean => true;
  let record: NEW.SessionRecord | undefined;
  return {
    bundle: () => ({
      registrationId, deviceId: 1, preKeyId: 4, preKeyPublic: pre.keyPair.publicKey,
      signedPreKeyId: 2, signedPreKeyPublic: signed.keyPair.publicKey, signedPreKeySignature: signed.signature,
      identityKey: identity.publicKey, kyberPreKeyId: 3, kyberPreKeyPublic: kyber.keyPair.publicKey, kyberPreKeySignature: kyber.signature,
    }),
    start(bundle: ReturnType<typeof this.bundle>): void {
      record = P.initiateSession({ record: undefined, ourIdentity: identity, ourRegistrationId: registrationId, bundle, isTrusted }).record;
    },
    encrypt(plaintext: Uint8Array): { type: string; serialized: Uint8Array } {
      const out = P.encryptMessage({ record: record!, plaintext, isTrusted });
      record = out.record;
      return out.message;
    },
    decrypt(message: { type: string; serialized: Uint8Array }): Uint8Array {
      if (message.type === 'prekey') {
        const out = P.decryptPreKeyMessage({
          record, ourIdentity: identity, ourRegistrationId: registrationId, message: message.serialized, isTrusted,
          loadPreKey: (id) => (id === 4 ? pre : undefined), loadSignedPreKey: (id) => (id === 2 ? signed : undefined), loadKyberPreKey: (id) => (id === 3 ? kyber : undefined),
        });
        record = out.record;
        return out.plaintext;
      }
      const out = P.decryptMessage({ record: record!, message: message.serialized, isTrusted });
      record = out.record;
      return out.plaintext;
    },
  };
}

function conversation(P: Core) {
  const alice = device(P, 1111);
  const bob = device(P, 2222);
  alice.start(bob.bundle());
  bob.decrypt(alice.encrypt(HELLO));
  alice.decrypt(bob.encrypt(HELLO));
  return { alice, bob };
}

/** One call = one new session: bundle -> Alice's first message -> Bob's decrypt, each side from an empty record. */
function setupRow(P: Core): () => number {
  const alice = P.generateIdentityKeyPair();
  const bob = P.generateIdentityKeyPair();
  const signed = P.generateSignedPreKey({ identity: bob, id: 2 });
  const kyber = P.generateKyberPreKey({ identity: bob, id: 3 });
  const pool = Array.from({ length: 64 }, (_, i) => P.generatePreKey(10 + i));
  const isTrusted = (): boolean => true;
  let n = 0;
  return () => {
    const pre = pool[n++ % pool.length]!;
    const bundle = {
      registrationId: 2222, deviceId: 1, preKeyId: pre.id, preKeyPublic: pre.keyPair.publicKey,
      signedPreKeyId: 2, signedPreKeyPublic: signed.keyPair.publicKey, signedPreKeySignature: signed.signature,
      identityKey: bob.publicKey, kyberPreKeyId: 3, kyberPreKeyPublic: kyber.keyPair.publicKey, kyberPreKeySignature: kyber.signature,
    };
    const started = P.initiateSession({ record: undefined, ourIdentity: alice, ourRegistrationId: 1111, bundle, isTrusted }).record;
    const first = P.encryptMessage({ record: started, plaintext: HELLO, isTrusted }).message;
    const out = P.decryptPreKeyMessage({
      record: undefined, ourIdentity: bob, ourRegistrationId: 2222, message: first.serialized, isTrusted,
      loadPreKey: (id) => (id === pre.id ? pre : undefined), loadSignedPreKey: (id) => (id === 2 ? signed : undefined), loadKyberPreKey: (id) => (id === 3 ? kyber : undefined),
    });
    if (out.plaintext.length !== HELLO.length) throw new Error('wrong plaintext length');
    return 1;
  };
}

/** One call = `ops` messages; throws unless every plaintext comes back at its length. */
function rows(P: Core): Record<string, () => number> {
  const p64 = new Uint8Array(64);
  const p1k = new Uint8Array(1024);
  const s64 = conversation(P);
  const s1k = conversation(P);
  const dh = conversation(P);
  const check = (got: Uint8Array, n: number): void => {
    if (got.length !== n) throw new Error('wrong plaintext length');
  };
  return {
    'symmetric 64 B': () => (check(s64.bob.decrypt(s64.alice.encrypt(p64)), 64), 1),
    'symmetric 1 KiB': () => (check(s1k.bob.decrypt(s1k.alice.encrypt(p1k)), 1024), 1),
    'DH ping-pong 64 B': () => (check(dh.bob.decrypt(dh.alice.encrypt(p64)), 64), check(dh.alice.decrypt(dh.bob.encrypt(p64)), 64), 2),
    'session setup': setupRow(P),
  };
}

const cpuSeconds = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[a.length >> 1]!;

async function main(): Promise<void> {
  const revision = process.argv[2] ?? 'main';
  const commit = execFileSync('git', ['rev-parse', '--short', revision], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(root, 'packages', 'protocol', `.core-ab-${commit}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  try {
    execFileSync('sh', ['-c', `git archive ${commit} packages/protocol/src | tar -x --strip-components=3 -C "${dir}"`], { cwd: root });
    const OLD = (await import(join(dir, 'index.ts'))) as Core;
    const impls = { old: rows(OLD), new: rows(NEW) };
    const only = process.env.ONLY?.split(',');
    const names = Object.keys(impls.new).filter((n) => only === undefined || only.includes(n));
    const results = new Map<string, number[]>();
    const rounds = Number(process.env.R ?? 9);
    for (let round = 0; round < rounds + 1; round++) {
      for (const name of names) {
        for (const which of ['old', 'new'] as const) {
          const run = impls[which][name]!;
          let ops = 0;
          const t0 = cpuSeconds();
          const batch = name === 'session setup' ? 2 : 20;
          while (cpuSeconds() - t0 < 0.25) for (let i = 0; i < batch; i++) ops += run();
          if (round > 0) results.set(`${name} ${which}`, [...(results.get(`${name} ${which}`) ?? []), ops / (cpuSeconds() - t0)]); // round 0: warm-up
        }
      }
    }
    console.log(`core at ${commit} (old) vs working tree (new), SPQR on, median of ${rounds} interleaved rounds, msg (setups) per CPU-second\n`);
    console.log('| row | old | new | new / old |\n| --- | ---: | ---: | ---: |');
    for (const name of names) {
      const o = median(results.get(`${name} old`)!);
      const n = median(results.get(`${name} new`)!);
      console.log(`| ${name} | ${Math.round(o).toLocaleString('en-US')} | ${Math.round(n).toLocaleString('en-US')} | ${(n / o).toFixed(2)}× |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
