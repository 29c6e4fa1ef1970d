/**
 * Witness policies (c2sp.org/tlog-policy) and their evaluation: which logs
 * may sign a checkpoint and which k-of-n combination of witnesses must have
 * cosigned it.
 *
 *   log <vkey> [url]
 *   witness <name> <vkey> [url]
 *   group <name> all|any|<k> <member>...
 *   quorum <name>          (exactly one; `none` = no cosignature needed)
 *
 * Log vkeys are Ed25519 note keys (0x01), witness vkeys cosignature/v1
 * keys (0x04). Names are defined before use, unique, each member at most
 * once per group, 1 ≤ k ≤ n, no duplicate public keys.
 *
 * verifyWitnessedCheckpoint is what a client runs on a checkpoint: the log
 * signature, every known cosignature, optional freshness (a cosignature
 * counts only if its time is within [now − maxAge, now + maxFuture]) and the quorum.
 */
import { equalBytes } from '@sealpost/protocol/primitives';
import { type Checkpoint, type OpenedCheckpoint, openCheckpoint } from './checkpoint.ts';
import { SIGNATURE_TYPE_COSIGNATURE_V1, cosignatureTimestamp, ed25519CosignatureVerifier } from './cosignature.ts';
import { KeyTransparencyError, ensure } from './errors.ts';
import { SIGNATURE_TYPE_ED25519, type NoteVerifier, type VerifierKey, ed25519NoteVerifier, parseVerifierKey } from './signed-note.ts';

export interface PolicyWitness {
  name: string;
  vkey: string;
  key: VerifierKey;
  url?: string;
}

export interface PolicyGroup {
  name: string;
  threshold: number;
  members: string[];
}

export interface WitnessPolicy {
  logs: { vkey: string; key: VerifierKey; url?: string }[];
  witnesses: PolicyWitness[];
  groups: PolicyGroup[];
  /** A witness or group name, or 'none'. */
  quorum: string;
}

function fail(lineNo: number, message: string): never {
  throw new KeyTransparencyError('POLICY_INVALID', `policy line ${lineNo}: ${message}`);
}

/** Parses a tlog-policy file (POLICY_INVALID on any violation). */
export function parseWitnessPolicy(text: string): WitnessPolicy {
  ensure(typeof text === 'string', 'POLICY_INVALID', 'a policy is text');
  ensure(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text), 'POLICY_INVALID', 'a policy holds no control characters but tab and newline');
  const policy: WitnessPolicy = { logs: [], witnesses: [], groups: [], quorum: '' };
  const names = new Set<string>(['none']);
  let quorumSeen = false;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(/[ \t]+/);
    const kind = f[0];
    const keyOf = (vkey: string, type: number): VerifierKey => {
      let key: VerifierKey;
      try {
        key = parseVerifierKey(vkey);
      } catch {
        fail(n, 'bad vkey');
      }
      if (key.type !== type) fail(n, `vkey type ${key.type}, expected ${type}`);
      return key;
    };
    const url = (v: string | undefined): { url?: string } => (v === undefined ? {} : { url: v });
    if (kind === 'log') {
      if (f.length < 2 || f.length > 3) fail(n, 'log <vkey> [url]');
      const key = keyOf(f[1]!, SIGNATURE_TYPE_ED25519);
      if (policy.logs.some((l) => equalBytes(l.key.publicKey, key.publicKey))) fail(n, 'duplicate log key');
      policy.logs.push({ vkey: f[1]!, key, ...url(f[2]) });
    } else if (kind === 'witness') {
      if (f.length < 3 || f.length > 4) fail(n, 'witness <name> <vkey> [url]');
      const name = f[1]!;
      if (names.has(name)) fail(n, `name ${name} defined twice`);
      const key = keyOf(f[2]!, SIGNATURE_TYPE_COSIGNATURE_V1);
      if (policy.witnesses.some((w) => equalBytes(w.key.publicKey, key.publicKey))) fail(n, 'duplicate witness key');
      names.add(name);
      policy.witnesses.push({ name, vkey: f[2]!, key, ...url(f[3]) });
    } else if (kind === 'group') {
      if (f.length < 4) fail(n, 'group <name> all|any|<k> <member>...');
      const name = f[1]!;
      if (names.has(name)) fail(n, `name ${name} defined twice`);
      const members = f.slice(3);
      const seen = new Set<string>();
      for (const m of members) {
        if (m === 'none' || !names.has(m)) fail(n, `member ${m} is not defined above`);
        if (seen.has(m)) fail(n, `member ${m} listed twice`);
        seen.add(m);
      }
      const t = f[2]!;
      let threshold: number;
      if (t === 'all') threshold = members.length;
      else if (t === 'any') threshold = 1;
      else if (/^[1-9][0-9]{0,3}$/.test(t)) threshold = Number(t);
      else fail(n, `bad threshold ${t}`);
      if (threshold < 1 || threshold > members.length) fail(n, `threshold ${threshold} not in 1..${members.length}`);
      names.add(name);
      policy.groups.push({ name, threshold, members });
    } else if (kind === 'quorum') {
      if (f.length !== 2) fail(n, 'quorum <name>');
      if (quorumSeen) fail(n, 'a second quorum line');
      if (!names.has(f[1]!)) fail(n, `quorum ${f[1]} is not defined above`);
      quorumSeen = true;
      policy.quorum = f[1]!;
    } else {
      fail(n, `unknown keyword ${kind}`);
    }
  });
  ensure(quorumSeen, 'POLICY_INVALID', 'a policy has exactly one quorum line');
  return policy;
}

/** Whether the witnesses named in `cosigned` satisfy the policy's quorum. */
export function quorumSatisfied(policy: WitnessPolicy, cosigned: ReadonlySet<string>): boolean {
  const memo = new Map<string, boolean>();
  const holds = (name: string): boolean => {
    if (name === 'none') return true;
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    const group = policy.groups.find((g) => g.name === name);
    const result = group === undefined ? policy.witnesses.some((w) => w.name === name) && cosigned.has(name) : group.members.filter(holds).length >= group.threshold;
    memo.set(name, result);
    return result;
  };
  return holds(policy.quorum);
}

export interface WitnessedCheckpoint {
  checkpoint: Checkpoint;
  /** Policy witness name → cosignature time (seconds), for every verified, fresh cosignature. */
  cosignatures: Map<string, number>;
}

export interface WitnessCheckOptions {
  /** The origin the client pinned (the checkpoint must be for it). */
  origin?: string;
  /** Current POSIX time in seconds; with maxAgeSeconds, older cosignatures do not count. */
  now?: number;
  maxAgeSeconds?: number;
  /** Cosignatures more than this far in the future do not count (default 300 s when `now` is given). */
  maxFutureSeconds?: number;
}

/**
 * Verifies `note` under `policy`: signed by one of its logs (named as the
 * origin), every cosignature of a policy witness verifies (a failing one
 * rejects the note, SIGNATURE_INVALID), and the fresh ones satisfy the
 * quorum (QUORUM_NOT_MET otherwise).
 */
export function verifyWitnessedCheckpoint(note: string | Uint8Array, policy: WitnessPolicy, options: WitnessCheckOptions = {}): WitnessedCheckpoint {
  const logVerifiers: NoteVerifier[] = policy.logs.map((l) => ed25519NoteVerifier(l.vkey));
  const opened = openCheckpoint(note, logVerifiers, { extraVerifiers: policyWitnessVerifiers(policy), ...(options.origin === undefined ? {} : { origin: options.origin }) });
  const cosignatures = freshCosignatures(opened, policy, options);
  ensure(quorumSatisfied(policy, new Set(cosignatures.keys())), 'QUORUM_NOT_MET', `the cosignatures (${cosignatures.size}) do not satisfy quorum ${policy.quorum}`);
  return { checkpoint: opened.checkpoint, cosignatures };
}

/** The cosignature/v1 NoteVerifiers of the policy's witnesses (pass them to openCheckpoint as extraVerifiers). */
export function policyWitnessVerifiers(policy: WitnessPolicy): NoteVerifier[] {
  return policy.witnesses.map((w) => ed25519CosignatureVerifier(w.vkey));
}

/**
 * The policy witnesses whose cosignature on an opened checkpoint verified
 * (openCheckpoint with policyWitnessVerifiers) and is fresh under `options`
 * (see WitnessCheckOptions): witness name → cosignature time (seconds).
 * Feed its keys to quorumSatisfied; verifyWitnessedCheckpoint does both.
 */
export function freshCosignatures(opened: OpenedCheckpoint, policy: WitnessPolicy, options: WitnessCheckOptions = {}): Map<string, number> {
  const cosignatures = new Map<string, number>();
  for (const sig of opened.note.verified) {
    const w = policy.witnesses.find((x) => x.key.name === sig.name && x.key.keyId === sig.keyId && x.key.type === SIGNATURE_TYPE_COSIGNATURE_V1);
    if (w === undefined) continue;
    const t = cosignatureTimestamp(sig.signature);
    if (t === undefined) continue;
    if (options.now !== undefined) {
      if (options.maxAgeSeconds !== undefined && t < options.now - options.maxAgeSeconds) continue;
      if (t > options.now + (options.maxFutureSeconds ?? 300)) continue;
    }
    cosignatures.set(w.name, t);
  }
  return cosignatures;
}
