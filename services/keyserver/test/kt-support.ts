/**
 * Key-transparency test helpers: KT settings with fresh keys, real
 * `@sealpost/witness` instances on 127.0.0.1, the client-side checks a
 * search answer must pass (keytrans' verifyWitnessedCheckpoint with a
 * 2-of-3 policy, verifySearchProof), and a KT-enabled key server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Checkpoint,
  type KtSearchResponseJson,
  type VerifiedSearch,
  ed25519NoteSigner,
  parseWitnessPolicy,
  verifySearchProof,
  verifyWitnessedCheckpoint,
} from '@sealpost/keytrans';
import { fromBase64, randomBytes, toBase64 } from '@sealpost/protocol/primitives';
import { buildWitnessServer, WitnessStore, type WitnessServer } from '@sealpost/witness';
import type { KtLogSettings } from '../src/kt/kt-log.ts';
import { ktOriginSuffix } from '../src/kt/kt-config.ts';
import { call } from './support.ts';

/** KT settings with fresh keys (batching fast for tests). */
export function ktSettings(overrides: Partial<KtLogSettings> = {}): KtLogSettings {
  const vrfSecretKey = randomBytes(32);
  const logNoteKey = randomBytes(32);
  return {
    vrfSecretKey,
    logNoteKey,
    origin: `keys.test/sealpost-kt/${ktOriginSuffix(vrfSecretKey, logNoteKey)}`,
    batchMs: 20,
    settleTimeoutMs: 3000,
    witnessRetryMs: 100,
    ...overrides,
  };
}

/** The log's note vkey for settings. */
export function logVkey(s: KtLogSettings): string {
  return ed25519NoteSigner(s.origin, s.logNoteKey).vkey;
}

export interface RunningWitness {
  name: string;
  url: string;
  vkey: string;
  app: WitnessServer;
  close(): Promise<void>;
}

/** `n` witnesses of the log with vkey `logVkey`, each on its own port and SQLite file. */
export async function startWitnesses(n: number, logVkeyText: string): Promise<RunningWitness[]> {
  const out: RunningWitness[] = [];
  for (let i = 1; i <= n; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'kt-witness-'));
    const store = new WitnessStore(join(dir, 'w.sqlite'));
    const name = `w${i}.test`;
    const app = await buildWitnessServer({ name, secretKey: randomBytes(32), logVkeys: [logVkeyText], store });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    let closed = false;
    out.push({
      name,
      url,
      vkey: app.witness.vkey,
      app,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  }
  return out;
}

/** The tlog-policy a client pins: the log, the witnesses, `k` of them. */
export function policyText(logVkeyText: string, witnesses: readonly { vkey: string }[], k: number): string {
  return [`log ${logVkeyText}`, ...witnesses.map((w, i) => `witness W${i + 1} ${w.vkey}`), `group w ${k} ${witnesses.map((_, i) => `W${i + 1}`).join(' ')}`, 'quorum w', ''].join('\n');
}

/** What a client does with a search answer: witnessed checkpoint, then the search proof. */
export function verifyAnswer(
  answer: KtSearchResponseJson,
  opts: { policy: string; origin: string; vrfPublicKey: Uint8Array; label: Uint8Array; now?: number },
): { checkpoint: Checkpoint; search: VerifiedSearch; cosigners: number } {
  const { checkpoint, cosignatures } = verifyWitnessedCheckpoint(answer.checkpoint, parseWitnessPolicy(opts.policy), { origin: opts.origin });
  const search = verifySearchProof({ checkpoint, vrfPublicKey: opts.vrfPublicKey, label: opts.label, proof: fromBase64(answer.proof), now: opts.now ?? Date.now() });
  return { checkpoint, search, cosigners: cosignatures.size };
}

/** `POST /v1/kt/search`. */
export function search(server: { url: string }, label: Uint8Array, extra: { last?: number; pending?: number[] } = {}) {
  return call(server, 'POST', '/v1/kt/search', { body: { label: toBase64(label), ...extra } });
}
