/**
 * Key transparency over real HTTP with three real witnesses (2-of-3):
 * account creation logs the identity key and answers once it is sequenced
 * and witnessed; `POST /v1/kt/search` answers verify with keytrans'
 * verifyWitnessedCheckpoint + verifySearchProof; consistency from `last` /
 * `pending`; a witness quorum lost → creation still answers (bounded) and
 * searches prove against the older witnessed checkpoint; the label is never
 * logged; KT off → 503 KT_DISABLED.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, decodeIdentityValue, parseCheckpoint, parseNote, verifyConsistency, vrfPublicKey } from '@sealpost/keytrans';
import { fromBase64, toBase64 } from '@sealpost/protocol/primitives';
import { call, createAccount, startServer, type RunningServer } from './support.ts';
import { type RunningWitness, ktSettings, logVkey, policyText, search, startWitnesses, verifyAnswer } from './kt-support.ts';

describe('key transparency search (HTTP, three witnesses)', () => {
  let server: RunningServer | undefined;
  let witnesses: RunningWitness[] = [];
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const w of witnesses) await w.close();
    witnesses = [];
  });

  async function start(extra: Parameters<typeof ktSettings>[0] = {}, logStream?: Writable) {
    const kt = ktSettings(extra);
    witnesses = await startWitnesses(3, logVkey(kt));
    server = await startServer({
      keyTransparency: { ...kt, witnesses: witnesses.map((w) => ({ url: w.url, vkey: w.vkey })), witnessQuorum: 2 },
      ...(logStream === undefined ? {} : { logger: { level: 'trace', stream: logStream } }),
    });
    const policy = policyText(logVkey(kt), witnesses, 2);
    return { kt, policy, check: { policy, origin: kt.origin, vrfPublicKey: vrfPublicKey(kt.vrfSecretKey) } };
  }

  it('logs every new account identity key; the search proves it against a 2-of-3 witnessed checkpoint', async () => {
    const { kt, check } = await start();
    const alice = await createAccount(server!);
    const bob = await createAccount(server!);
    for (const who of [alice, bob]) {
      const label = accountLabel(who.accountId);
      const res = await search(server!, label);
      expect(res.status).toBe(200);
      const { search: found, cosigners, checkpoint } = verifyAnswer(res.body, { ...check, label });
      expect(found.version).toBe(0);
      expect(decodeIdentityValue(found.value)).toEqual(who.identity.publicKey);
      expect(cosigners).toBeGreaterThanOrEqual(2);
      expect(checkpoint.origin).toBe(kt.origin);
    }
    const config = await call(server!, 'GET', '/v1/kt/config');
    expect(config.status).toBe(200);
    expect(config.body).toEqual({ origin: kt.origin, logVerifierKey: logVkey(kt), vrfPublicKey: toBase64(vrfPublicKey(kt.vrfSecretKey)), maxAheadMs: 300_000, maxBehindMs: 3_600_000 });
    // A label with no version, and a malformed one.
    expect((await search(server!, accountLabel('00000000-0000-4000-8000-000000000000'))).body.error.code).toBe('KT_LABEL_NOT_LOGGED');
    expect((await call(server!, 'POST', '/v1/kt/search', { body: { label: '!!!!' } })).status).toBe(400);
  });

  it('answers with consistency proofs from the client\'s last and pending sizes', async () => {
    const { check } = await start();
    const alice = await createAccount(server!);
    const label = accountLabel(alice.accountId);
    const first = verifyAnswer((await search(server!, label)).body, { ...check, label }).checkpoint;
    await createAccount(server!);
    await createAccount(server!);
    const res = await search(server!, label, { last: first.size, pending: [first.size, 1, 0] });
    const now = verifyAnswer(res.body, { ...check, label }).checkpoint;
    expect(now.size).toBeGreaterThan(first.size);
    const froms = (res.body.consistency as { from: number; proof: string[] }[]).map((c) => c.from);
    expect(froms).toEqual(first.size === 1 ? [1] : [first.size, 1]);
    const fromFirst = (res.body.consistency as { from: number; proof: string[] }[]).find((c) => c.from === first.size)!;
    const proof = fromFirst.proof.map((p) => fromBase64(p));
    verifyConsistency(first.size, now.size, proof, first.rootHash, now.rootHash);
    // A proof for another old root does not pass.
    expect(() => verifyConsistency(first.size, now.size, proof, now.rootHash, now.rootHash)).toThrow();
    // Equal size: an empty proof.
    const same = await search(server!, label, { last: now.size });
    expect(same.body.consistency).toEqual([{ from: now.size, proof: [] }]);
  });

  it('with the witness quorum lost, account creation still answers and searches prove against the older witnessed checkpoint', async () => {
    const { check } = await start({ settleTimeoutMs: 800 });
    const alice = await createAccount(server!);
    const aliceLabel = accountLabel(alice.accountId);
    const before = verifyAnswer((await search(server!, aliceLabel)).body, { ...check, label: aliceLabel }).checkpoint;
    await witnesses[0]!.close();
    await witnesses[1]!.close();
    const started = Date.now();
    const bob = await createAccount(server!);
    expect(Date.now() - started).toBeLessThan(3000);
    const res = await search(server!, aliceLabel);
    const after = verifyAnswer(res.body, { ...check, label: aliceLabel }).checkpoint;
    expect(after.size).toBe(before.size);
    expect(after.rootHash).toEqual(before.rootHash);
    // Bob's version is sequenced but not in any witnessed checkpoint yet.
    expect((await search(server!, accountLabel(bob.accountId))).body.error.code).toBe('KT_LABEL_NOT_LOGGED');
    // The newest checkpoint (served as is) carries only the one surviving witness's cosignature.
    const newest = await call(server!, 'GET', '/kt/checkpoint');
    expect(parseCheckpoint(parseNote(newest.body as string).text).size).toBeGreaterThan(before.size);
  });

  it('never logs the label or the account id of a search, even at trace level', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { check } = await start({}, stream);
    const alice = await createAccount(server!);
    const label = accountLabel(alice.accountId);
    lines.length = 0;
    const res = await search(server!, label);
    verifyAnswer(res.body, { ...check, label });
    expect((await search(server!, accountLabel('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
    const logged = lines.join('');
    expect(logged).not.toBe('');
    for (const secret of [toBase64(label), alice.accountId, Buffer.from(label).toString('hex'), '00000000-0000-4000-8000-000000000000']) expect(logged).not.toContain(secret);
  });
});

describe('key transparency off', () => {
  let server: RunningServer | undefined;
  afterEach(async () => server?.close());

  it('answers 503 KT_DISABLED on every KT route, and accounts are created as before', async () => {
    server = await startServer();
    await createAccount(server);
    for (const [method, path, body] of [
      ['GET', '/v1/kt/config', undefined],
      ['POST', '/v1/kt/search', { label: toBase64(Uint8Array.of(0x61, 1, 2, 3)) }],
      ['GET', '/kt/checkpoint', undefined],
      ['GET', '/kt/tile/0/000.p/1', undefined],
      ['GET', '/v1/handles/bob', undefined],
    ] as const) {
      const res = await call(server, method, path, body === undefined ? {} : { body });
      expect(res.status, path).toBe(503);
      expect(res.body.error.code).toBe('KT_DISABLED');
    }
  });
});
