/**
 * `@sealpost/devkit/witnesses`: three witnesses on 127.0.0.1 cosign a log's
 * checkpoints; their policy text (2 of 3) verifies the cosigned checkpoint
 * with @sealpost/keytrans; a fork shown to one is refused and kept as evidence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KtDirectory, KeyTransparencyError, ed25519NoteSigner, parseWitnessPolicy, signCheckpoint, verifyWitnessedCheckpoint } from '@sealpost/keytrans';
import { randomBytes, utf8Encode } from '@sealpost/protocol/primitives';
import { startWitnesses, type RunningWitnesses } from '../src/witnesses.ts';

const NOW = 1_800_000_000;
let ws: RunningWitnesses | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

function log(key: Uint8Array, tag: string, size: number) {
  const origin = 'sealpost.test/sealpost-kt/0123456789abcdef';
  const dir = new KtDirectory(randomBytes(32));
  for (let i = 0; i < size; i++) dir.update([{ label: utf8Encode(`${tag}-${i}`), value: randomBytes(32) }], 1_000 + i);
  const signer = ed25519NoteSigner(origin, key);
  return { origin, signer, note: signCheckpoint(dir.checkpoint(origin), signer) };
}

async function add(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, text: await res.text() };
}

describe('startWitnesses', () => {
  it('three witnesses, a 2-of-3 policy that verifies their cosignatures, evidence of a refused fork', async () => {
    const key = randomBytes(32);
    const honest = log(key, 'a', 4);
    const fork = log(key, 'fork', 4);
    ws = await startWitnesses(3, { logs: [honest.signer.vkey], now: () => NOW });
    expect(ws.urls).toHaveLength(3);
    expect(new Set(ws.urls).size).toBe(3);
    expect(ws.names).toEqual(['witness.sealpost.test/w1', 'witness.sealpost.test/w2', 'witness.sealpost.test/w3']);
    expect(ws.policyText).toContain('group w 2 W1 W2 W3\nquorum w\n');
    const policy = parseWitnessPolicy(ws.policyText);

    const lines = await Promise.all(ws.urls.map((url) => add(url, `old 0\n\n${honest.note}`)));
    expect(lines.map((l) => l.status)).toEqual([200, 200, 200]);
    const verified = verifyWitnessedCheckpoint(honest.note + lines[0]!.text + lines[2]!.text, policy, { origin: honest.origin, now: NOW, maxAgeSeconds: 600 });
    expect(verified.checkpoint.size).toBe(4);
    expect(() => verifyWitnessedCheckpoint(honest.note + lines[1]!.text, policy, { origin: honest.origin, now: NOW, maxAgeSeconds: 600 })).toThrow(KeyTransparencyError);

    expect((await add(ws.urls[1]!, `old 4\n\n${fork.note}`)).status).toBe(409);
    expect(await ws.evidence(0)).toEqual([]);
    expect(await ws.evidence(1)).toEqual([expect.objectContaining({ kind: 'split-view', cosignedNote: honest.note, refusedNote: fork.note })]);
    expect(ws.keys.map((k) => k.length)).toEqual([32, 32, 32]);
  });

  it('quorum and names can be chosen; a bad quorum is refused', async () => {
    const signer = ed25519NoteSigner('sealpost.test/log', randomBytes(32));
    await expect(startWitnesses(2, { logs: [signer.vkey], quorum: 3 })).rejects.toThrow(RangeError);
    ws = await startWitnesses(2, { logs: [signer.vkey], quorum: 2, policyNames: ['A', 'B'] });
    expect(ws.policyText.split('\n')).toEqual([`log ${signer.vkey}`, `witness A ${ws.vkeys[0]}`, `witness B ${ws.vkeys[1]}`, 'group w 2 A B', 'quorum w', '']);
    parseWitnessPolicy(ws.policyText);
  });
});
