/**
 * The tlog-witness over real HTTP: an honest KtDirectory log cosigned step by
 * step, the spec's refusals (409 with the size, 403, 404, 400, 422), split
 * views kept as evidence, a 2-of-3 witness quorum, and compare-and-swap
 * under concurrent requests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  KeyTransparencyError,
  cosignatureTimestamp,
  ed25519CosignatureVerifier,
  ed25519NoteVerifier,
  openCheckpoint,
  parseWitnessPolicy,
  verifyWitnessedCheckpoint,
} from '@sealpost/keytrans';
import { randomBytes, sha256, toHex, utf8Encode } from '@sealpost/protocol/primitives';
import { ORIGIN, TestLog, addCheckpoint, sharedDatabase, startWitness, type RunningWitness } from './support/harness.ts';

const NOW = 1_800_000_000;
const now = (): number => NOW;
const running: RunningWitness[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
});

async function witnessFor(log: TestLog, name = 'witness.test/w1', dbPath?: string): Promise<RunningWitness> {
  const w = await startWitness({ name, logVkeys: [log.signer.vkey], now, ...(dbPath === undefined ? {} : { dbPath }) });
  running.push(w);
  return w;
}

function errorCode(text: string): string {
  return (JSON.parse(text) as { error: { code: string } }).error.code;
}

describe('add-checkpoint', () => {
  it('cosigns an honest sequence of checkpoints; each cosignature verifies', async () => {
    const logKey = randomBytes(32);
    const log = new TestLog(logKey).grow(3);
    const w = await witnessFor(log);
    let old = 0;
    for (const [grow, type] of [[0, 'text/plain'], [2, 'application/octet-stream'], [1, 'text/plain; charset=utf-8'], [7, 'text/plain']] as const) {
      log.grow(grow);
      const res = await addCheckpoint(w.url, log.body(old), type);
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/^\u2014 witness\.test\/w1 [A-Za-z0-9+/=]+\n$/);
      const opened = openCheckpoint(log.note() + res.text, [ed25519NoteVerifier(log.signer.vkey)], { origin: ORIGIN, extraVerifiers: [ed25519CosignatureVerifier(w.vkey)] });
      const cosig = opened.note.verified.find((s) => s.name === 'witness.test/w1');
      expect(cosig).toBeDefined();
      expect(cosignatureTimestamp(cosig!.signature)).toBe(NOW);
      expect(opened.checkpoint.size).toBe(log.dir.size);
      old = log.dir.size;
    }
    const latest = await fetch(`${w.url}/checkpoint/${toHex(sha256(utf8Encode(ORIGIN)))}`);
    expect(latest.status).toBe(200);
    expect(await latest.text()).toBe(log.note());
    expect(old).toBe(13);
  });

  it('answers a stale old size with 409 and the stored size as text/x.tlog.size', async () => {
    const log = new TestLog(randomBytes(32)).grow(3);
    const w = await witnessFor(log);
    expect((await addCheckpoint(w.url, log.body(0))).status).toBe(200);
    log.grow(2);
    expect((await addCheckpoint(w.url, log.body(3))).status).toBe(200);
    log.grow(1);
    const stale = await addCheckpoint(w.url, log.body(3));
    expect(stale.status).toBe(409);
    expect(stale.type).toBe('text/x.tlog.size');
    expect(stale.text).toBe('5\n');
    // a witness that never saw the log answers 409 with 0 for any non-zero old size
    const fresh = await witnessFor(log, 'witness.test/w2');
    expect(await addCheckpoint(fresh.url, log.body(5))).toMatchObject({ status: 409, text: '0\n' });
  });

  it('refuses a forged log signature (403), an unknown log (404), malformed bodies and old > size (400)', async () => {
    const log = new TestLog(randomBytes(32)).grow(4);
    const w = await witnessFor(log);
    const forged = new TestLog(randomBytes(32)).grow(4); // same origin, another key
    const res403 = await addCheckpoint(w.url, forged.body(0));
    expect(res403.status).toBe(403);
    expect(errorCode(res403.text)).toBe('SIGNATURE_INVALID');
    const other = new TestLog(randomBytes(32), 'other.test/log').grow(2);
    // the log's own key over altered text: its signature fails → 403
    const tampered = log.note().replace(`\n4\n`, `\n3\n`);
    expect(tampered).not.toBe(log.note());
    expect(await addCheckpoint(w.url, `old 0\n\n${tampered}`)).toMatchObject({ status: 403 });
    const res404 = await addCheckpoint(w.url, other.body(0));
    expect(res404.status).toBe(404);
    expect(errorCode(res404.text)).toBe('UNKNOWN_LOG');
    for (const body of ['', 'old 0\n', 'old 01\n\n' + log.note(), 'new 0\n\n' + log.note(), 'old 0\nnot-base64\n\n' + log.note(), 'old 0\n\nnot a note\n']) {
      const res = await addCheckpoint(w.url, body);
      expect(res.status, body).toBe(400);
      expect(errorCode(res.text)).toBe('MALFORMED');
    }
    const tooOld = await addCheckpoint(w.url, `old 9\n\n${log.note()}`);
    expect(tooOld.status).toBe(400);
    expect(errorCode(tooOld.text)).toBe('OLD_SIZE_TOO_LARGE');
    // nothing was stored: the honest first checkpoint still goes in with old 0
    expect((await addCheckpoint(w.url, log.body(0))).status).toBe(200);
  });

  it('refuses a broken consistency proof with 422 and keeps its state', async () => {
    const log = new TestLog(randomBytes(32)).grow(5);
    const w = await witnessFor(log);
    expect((await addCheckpoint(w.url, log.body(0))).status).toBe(200);
    log.grow(6);
    const proof = log.proof(5);
    const broken = [...proof];
    broken[1] = Buffer.from(sha256(utf8Encode('not a node'))).toString('base64');
    const res = await addCheckpoint(w.url, `old 5\n${broken.map((l) => `${l}\n`).join('')}\n${log.note()}`);
    expect(res.status).toBe(422);
    expect(errorCode(res.text)).toBe('CONSISTENCY_PROOF_INVALID');
    const truncated = await addCheckpoint(w.url, `old 5\n${proof.slice(1).map((l) => `${l}\n`).join('')}\n${log.note()}`);
    expect(truncated.status).toBe(422);
    expect((await addCheckpoint(w.url, log.body(5))).status).toBe(200);
    const { evidence } = (await (await fetch(`${w.url}/evidence`)).json()) as { evidence: { kind: string; proof: string[] }[] };
    expect(evidence.map((e) => e.kind)).toEqual(['inconsistent', 'inconsistent']);
    expect(evidence[0]!.proof).toEqual(broken);
  });

  it('refuses a split view (same size, another root) and keeps both checkpoints as evidence', async () => {
    const logKey = randomBytes(32);
    const honest = new TestLog(logKey).grow(4);
    const fork = new TestLog(logKey).grow(4, 'fork'); // the "same" log (key, origin), other entries
    const w = await witnessFor(honest);
    expect((await addCheckpoint(w.url, honest.body(0))).status).toBe(200);
    const res = await addCheckpoint(w.url, `old 4\n\n${fork.note()}`);
    expect(res).toMatchObject({ status: 409, type: 'text/x.tlog.size', text: '4\n' }); // the spec: same size, other root → 409
    // re-submitting the cosigned checkpoint itself is fine (same size, same root)
    expect((await addCheckpoint(w.url, honest.body(4))).status).toBe(200);
    const { evidence } = (await (await fetch(`${w.url}/evidence`)).json()) as {
      evidence: { origin: string; kind: string; cosignedNote: string; refusedNote: string; oldSize: number; receivedAt: number }[];
    };
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ origin: ORIGIN, kind: 'split-view', cosignedNote: honest.note(), refusedNote: fork.note(), oldSize: 4, receivedAt: NOW });
    // the witness still follows the honest log
    honest.grow(1);
    expect((await addCheckpoint(w.url, honest.body(4))).status).toBe(200);
  });
});

describe('persistence', () => {
  it('a restarted witness on the same database continues from the checkpoint it cosigned', async () => {
    const log = new TestLog(randomBytes(32)).grow(2);
    const database = await sharedDatabase();
    try {
      const secretKey = randomBytes(32);
      const first = await startWitness({ name: 'witness.test/w1', secretKey, logVkeys: [log.signer.vkey], now, database });
      expect((await addCheckpoint(first.url, log.body(0))).status).toBe(200);
      await first.close();
      const second = await startWitness({ name: 'witness.test/w1', secretKey, logVkeys: [log.signer.vkey], now, database });
      running.push(second);
      log.grow(3);
      expect(await addCheckpoint(second.url, log.body(0))).toMatchObject({ status: 409, text: '2\n' });
      expect((await addCheckpoint(second.url, log.body(2))).status).toBe(200);
    } finally {
      await Promise.all(running.splice(0).map((w) => w.close()));
      await database.drop();
    }
  });
});

describe('witness quorum', () => {
  it('three witnesses cosign; a 2-of-3 policy passes, and fails for a forked view shown to one witness', async () => {
    const logKey = randomBytes(32);
    const honest = new TestLog(logKey).grow(3);
    const fork = new TestLog(logKey).grow(5, 'fork'); // the "same" log (origin, key), other entries
    const ws = await Promise.all([1, 2, 3].map(async (i) => witnessFor(honest, `witness.test/w${i}`)));
    const policy = parseWitnessPolicy([`log ${honest.signer.vkey}`, ...ws.map((w, i) => `witness W${i + 1} ${w.vkey}`), 'group w 2 W1 W2 W3', 'quorum w', ''].join('\n'));
    const check = (note: string): string | number => {
      try {
        return verifyWitnessedCheckpoint(note, policy, { origin: ORIGIN, now: NOW, maxAgeSeconds: 600 }).checkpoint.size;
      } catch (e) {
        return (e as KeyTransparencyError).code;
      }
    };
    for (const w of ws) expect((await addCheckpoint(w.url, honest.body(0))).status).toBe(200);
    honest.grow(2);
    const all = await Promise.all(ws.map(async (w) => addCheckpoint(w.url, honest.body(3))));
    expect(all.map((l) => l.status)).toEqual([200, 200, 200]);
    expect(check(honest.note() + all.map((l) => l.text).join(''))).toBe(5);
    expect(check(honest.note() + all[0]!.text + all[2]!.text)).toBe(5); // any two suffice
    expect(check(honest.note() + all[1]!.text)).toBe('QUORUM_NOT_MET');

    // A second set: W1 and W2 follow the honest log; W3 is shown only the fork (size 5).
    const honest2 = new TestLog(logKey).grow(5);
    const ws2 = await Promise.all([1, 2, 3].map(async (i) => witnessFor(honest2, `witness.test/w${i}`)));
    const policy2Text = [`log ${honest2.signer.vkey}`, ...ws2.map((w, i) => `witness W${i + 1} ${w.vkey}`), 'group w 2 W1 W2 W3', 'quorum w', ''].join('\n');
    const policy2 = parseWitnessPolicy(policy2Text);
    const h1 = await addCheckpoint(ws2[0]!.url, honest2.body(0));
    const h2 = await addCheckpoint(ws2[1]!.url, honest2.body(0));
    const f3 = await addCheckpoint(ws2[2]!.url, fork.body(0));
    expect([h1.status, h2.status, f3.status]).toEqual([200, 200, 200]);
    expect(verifyWitnessedCheckpoint(honest2.note() + h1.text + h2.text, policy2, { origin: ORIGIN, now: NOW, maxAgeSeconds: 600 }).checkpoint.size).toBe(5);
    let code: string | undefined;
    try {
      verifyWitnessedCheckpoint(fork.note() + f3.text, policy2, { origin: ORIGIN, now: NOW, maxAgeSeconds: 600 });
    } catch (e) {
      code = (e as KeyTransparencyError).code;
    }
    expect(code).toBe('QUORUM_NOT_MET');
    // the fork sent to the honest witnesses is refused and kept as evidence
    for (const w of [ws2[0]!, ws2[1]!]) {
      expect((await addCheckpoint(w.url, `old 5\n\n${fork.note()}`)).status).toBe(409);
      const { evidence } = (await (await fetch(`${w.url}/evidence`)).json()) as { evidence: { kind: string; refusedNote: string }[] };
      expect(evidence).toEqual([expect.objectContaining({ kind: 'split-view', refusedNote: fork.note() })]);
    }
  });
});

describe('compare-and-swap', () => {
  it('of concurrent add-checkpoints for the same old size exactly one wins (one instance, and two instances on one database)', async () => {
    const log = new TestLog(randomBytes(32)).grow(3);
    const database = await sharedDatabase();
    try {
      const secretKey = randomBytes(32);
      const a = await startWitness({ name: 'witness.test/w1', secretKey, logVkeys: [log.signer.vkey], now, database });
      const b = await startWitness({ name: 'witness.test/w1', secretKey, logVkeys: [log.signer.vkey], now, database });
      running.push(a, b);
      expect((await addCheckpoint(a.url, log.body(0))).status).toBe(200);
      let old = 3;
      // Several rounds: each time four requests (two sizes, two instances) race from the same old size.
      for (let round = 0; round < 5; round++) {
        log.grow(1);
        const bodySmall = log.body(old);
        const small = log.dir.size;
        log.grow(1);
        const bodyLarge = log.body(old);
        const results = await Promise.all([addCheckpoint(a.url, bodySmall), addCheckpoint(a.url, bodyLarge), addCheckpoint(b.url, bodySmall), addCheckpoint(b.url, bodyLarge)]);
        const statuses = results.map((r) => r.status);
        expect(statuses.filter((s) => s === 200), `round ${round}: ${statuses.join(' ')}`).toHaveLength(1);
        expect(statuses.filter((s) => s === 409)).toHaveLength(3);
        const winner = statuses.indexOf(200) % 2 === 0 ? small : small + 1;
        for (const r of results.filter((x) => x.status === 409)) expect(r.text).toBe(`${winner}\n`);
        if (winner === small) expect((await addCheckpoint(b.url, log.body(small))).status).toBe(200);
        old = log.dir.size;
      }
    } finally {
      await Promise.all(running.splice(0).map((w) => w.close()));
      await database.drop();
    }
  });
});
