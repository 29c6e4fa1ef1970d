/**
 * Bundle fetch with a key-transparency proof vs without (issue 15), over
 * real HTTP against the real key server with KT on and three witnesses
 * (`@sealpost/devkit/kt-services`), interleaved rounds in one run:
 *
 *   plain  GET the bundle (what a client did before KT)
 *   cold   GET the bundle + POST /v1/kt/search + applySearch from an empty
 *          client state (every check, both ECVRF proofs verified)
 *   warm   the same from the state the first search left (retained head,
 *          verified VRF outputs cached), as a client re-checking a contact
 *
 *   npx tsx scripts/bench/kt-bundle.ts [--rounds 7] [--ops 40]
 *
 * Each op's outcome is asserted `verified` with the bundle's identity key.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { accountLabel, applySearch, emptyKtState, encodeIdentityValue, ktPinned, ktSearchRequest, type KtClientState } from '@sealpost/keytrans';
import { startKtServices } from '@sealpost/devkit/kt-services';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, ops: { type: 'string', default: '40' } } });
const rounds = Number(values.rounds);
const ops = Number(values.ops);

const load0 = loadavg()[0]!;
const kt = await startKtServices();
try {
  const alice = kt.client('off');
  const bob = kt.client('off');
  await alice.register();
  await bob.register();
  await kt.settle();
  const account = bob.address.account;
  const label = accountLabel(account);
  const pinned = ktPinned(kt.pinned);

  const check = async (state: KtClientState): Promise<KtClientState> => {
    const [bundle] = await alice.keyServer.bundles(account, 1);
    const request = ktSearchRequest(state, label);
    const response = await alice.keyServer.ktSearch(request);
    const r = applySearch({ state, pinned, label, request, response, nowMs: kt.clock.now(), purpose: 'lookup', expectedValue: encodeIdentityValue(bundle!.identityKey) });
    if (r.outcome.kind !== 'verified') throw new Error(`expected verified, got ${r.outcome.kind}`);
    return r.state;
  };
  const warmState = await check(emptyKtState());

  const arms = {
    plain: async () => void (await alice.keyServer.bundles(account, 1)),
    cold: async () => void (await check(emptyKtState())),
    warm: async () => void (await check(warmState)),
  } as const;
  const perOp: Record<keyof typeof arms, number[]> = { plain: [], cold: [], warm: [] };
  for (const arm of Object.keys(arms) as (keyof typeof arms)[]) for (let i = 0; i < 5; i++) await arms[arm](); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const arm of Object.keys(arms) as (keyof typeof arms)[]) {
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) await arms[arm]();
      perOp[arm].push((performance.now() - t0) / ops);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const m = { plain: median(perOp.plain), cold: median(perOp.cold), warm: median(perOp.warm) };
  console.log(`bundle fetch with and without a KT proof — ${rounds} rounds × ${ops} sequential ops, medians; load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
  console.log('| path | ms per op | ops/s | vs plain |');
  console.log('|---|---:|---:|---:|');
  for (const arm of ['plain', 'cold', 'warm'] as const) {
    console.log(`| ${arm} | ${m[arm].toFixed(2)} | ${(1000 / m[arm]).toFixed(0)} | ${(m.plain / m[arm]).toFixed(2)}× |`);
  }
  await alice.close();
  await bob.close();
} finally {
  await kt.close();
}
