/**
 * tlog-witness conformance (design §5 item 16) not covered by witness.test.ts,
 * over real HTTP, on this run's backend (SQLite; PostgreSQL under the
 * `services-postgres` project): 422 for a proof sent with `old 0` and for a
 * size-0 checkpoint whose root is not SHA-256(""), 200 for the honest empty
 * checkpoint, body limits, and concurrent submitters of sizes N and N+K
 * spread over two instances on one database: the witness never rolls back
 * (its checkpoint only grows, and ends at N+K).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cosignatureTimestamp, ed25519CosignatureVerifier, ed25519NoteVerifier, openCheckpoint, signCheckpoint } from '@sealpost/keytrans';
import { randomBytes, sha256, toBase64, toHex, utf8Encode } from '@sealpost/protocol/primitives';
import { ORIGIN, TestLog, addCheckpoint, sharedDatabase, startWitness, testBackend, type RunningWitness } from './support/harness.ts';

const NOW = 1_800_000_000;
const now = (): number => NOW;
const running: RunningWitness[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
});

async function witnessFor(log: TestLog, extra: Partial<Parameters<typeof startWitness>[0]> = {}): Promise<RunningWitness> {
  const w = await startWitness({ name: 'witness.test/w1', logVkeys: [log.signer.vkey], now, ...extra });
  running.push(w);
  return w;
}

const code = (text: string): string => (JSON.parse(text) as { error: { code: string } }).error.code;

describe(`tlog-witness conformance (${testBackend()})`, () => {
  it('422 for a non-empty proof with old 0; nothing is stored', async () => {
    const log = new TestLog(randomBytes(32)).grow(4);
    const w = await witnessFor(log);
    const proofLine = toBase64(sha256(utf8Encode('x')));
    const res = await addCheckpoint(w.url, `old 0\n${proofLine}\n\n${log.note()}`);
    expect(res.status).toBe(422);
    expect(code(res.text)).toBe('CONSISTENCY_PROOF_INVALID');
    expect((await fetch(`${w.url}/checkpoint/${toHex(sha256(utf8Encode(ORIGIN)))}`)).status).toBe(404);
    expect((await addCheckpoint(w.url, log.body(0))).status).toBe(200);
  });

  it('a size-0 checkpoint: 422 unless its root is SHA-256(""), then 200 with a cosignature our verifier accepts', async () => {
    const log = new TestLog(randomBytes(32));
    const w = await witnessFor(log);
    const bad = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: sha256(utf8Encode('not empty')), extensions: [] }, log.signer);
    const refused = await addCheckpoint(w.url, `old 0\n\n${bad}`);
    expect(refused.status).toBe(422);
    expect(code(refused.text)).toBe('BAD_EMPTY_ROOT');

    const empty = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: sha256(new Uint8Array(0)), extensions: [] }, log.signer);
    const ok = await addCheckpoint(w.url, `old 0\n\n${empty}`);
    expect(ok.status).toBe(200);
    const opened = openCheckpoint(empty + ok.text, [ed25519NoteVerifier(log.signer.vkey)], { origin: ORIGIN, extraVerifiers: [ed25519CosignatureVerifier(w.vkey)] });
    const cosig = opened.note.verified.find((s) => s.name === 'witness.test/w1');
    expect(cosig).toBeDefined();
    expect(cosignatureTimestamp(cosig!.signature)).toBe(NOW);
    // The log grows from the empty checkpoint: old 0 again (no proof from size 0).
    log.grow(3);
    expect((await addCheckpoint(w.url, log.body(0))).status).toBe(200);
    expect(await addCheckpoint(w.url, log.body(0))).toMatchObject({ status: 409, text: '3\n' });
  });

  it('a body over the limit is 413 BODY_TOO_LARGE; 64 proof lines are 400', async () => {
    const log = new TestLog(randomBytes(32)).grow(2);
    const w = await witnessFor(log, { bodyLimit: 4096 });
    const big = await addCheckpoint(w.url, `old 0\n\n${log.note()}${'x'.repeat(5000)}`);
    expect(big.status).toBe(413);
    expect(code(big.text)).toBe('BODY_TOO_LARGE');
    const line = toBase64(sha256(utf8Encode('y')));
    const tooMany = await addCheckpoint(w.url, `old 1\n${`${line}\n`.repeat(64)}\n${log.note()}`);
    expect(tooMany.status).toBe(400);
    expect(code(tooMany.text)).toBe('MALFORMED');
  });

  it('concurrent submitters of sizes N and N+K over two instances on one database never roll it back (final N+K)', async () => {
    const log = new TestLog(randomBytes(32)).grow(5);
    const database = await sharedDatabase();
    const secretKey = randomBytes(32);
    try {
      const a = await witnessFor(log, { database, secretKey });
      const b = await witnessFor(log, { database, secretKey });
      const hash = toHex(sha256(utf8Encode(ORIGIN)));
      expect((await addCheckpoint(a.url, log.body(0))).status).toBe(200);

      /** A log sequencer's submitter: from `old`, retry on 409 until cosigned or the witness is at or past `target`. */
      async function submit(url: string, old: number, target: number): Promise<'cosigned' | 'superseded'> {
        for (let attempt = 0; attempt < 20; attempt++) {
          const r = await addCheckpoint(url, log.body(old, target));
          if (r.status === 200) return 'cosigned';
          expect(r.status, r.text).toBe(409);
          expect(r.type).toBe('text/x.tlog.size');
          const size = Number(r.text.trim());
          if (size >= target) return 'superseded';
          old = size;
        }
        throw new Error('no progress in 20 attempts');
      }

      const seen: number[] = [];
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const note = await (await fetch(`${b.url}/checkpoint/${hash}`)).text();
          seen.push(Number(note.split('\n')[1]));
        }
      })();
      let old = log.dir.size;
      for (let round = 0; round < 6; round++) {
        const n = old + 1 + (round % 3);
        const k = 1 + round;
        log.grow(n + k - old);
        const outcomes = await Promise.all([submit(a.url, old, n), submit(b.url, old, n + k), submit(b.url, old, n), submit(a.url, old, n + k)]);
        expect(outcomes.filter((o) => o === 'cosigned').length).toBeGreaterThanOrEqual(1);
        const latest = await (await fetch(`${a.url}/checkpoint/${hash}`)).text();
        expect(latest, `round ${round}`).toBe(log.note(n + k));
        old = n + k;
      }
      polling = false;
      await poller;
      expect(seen.length).toBeGreaterThan(0);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!, `poll ${i}: ${seen[i - 1]} then ${seen[i]}`).toBeGreaterThanOrEqual(seen[i - 1]!);
      expect(seen.at(-1)).toBe(old);
    } finally {
      await Promise.all(running.splice(0).map((w) => w.close()));
      await database.drop();
    }
  });
});
