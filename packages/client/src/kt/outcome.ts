/**
 * What one verified (or refused) search means for the app: the verifier's
 * outcome (@sealpost/keytrans `applySearch`) turned into a `kt` event, the
 * evidence record to keep, and the `KtError` code an `enforce` client
 * refuses with. Pure.
 */
import { decodeHandleValue, decodeIdentityValue, type KtClientState, type KtOutcome } from '@sealpost/keytrans';
import { toBase64 } from '../encoding.ts';
import type { StoredKtEvidence } from '../store/kt-types.ts';
import type { KtErrorCode } from './errors.ts';
import type { KtCheckSource, KtEvent } from './types.ts';

/** The subject of one check: which label, why, for whom. */
export interface KtSubject {
  readonly label: Uint8Array;
  readonly source: KtCheckSource;
  readonly account?: string | undefined;
  readonly handle?: string | undefined;
}

/** What a check came to. */
export interface KtJudgement {
  /** The event to emit; undefined when there is nothing to tell (an owner's own key not logged yet, within the window). */
  readonly event: KtEvent | undefined;
  /** The evidence to store with the state, if any. */
  readonly evidence: StoredKtEvidence | undefined;
  /** Set when the key (or handle) must not be used under `enforce`. */
  readonly failure: KtErrorCode | undefined;
  /** True when the log showed the value that was about to be used. */
  readonly verified: boolean;
}

/** Evidence data larger than this (a hostile answer) is kept as its size only. */
const MAX_EVIDENCE_DATA_CHARS = 64 * 1024;

/** A readable form of a label's value for details and evidence: the identity key or the account id. */
function describeValue(subject: KtSubject, value: Uint8Array): string {
  try {
    return subject.handle !== undefined ? `account ${decodeHandleValue(value)}` : `identity key ${toBase64(decodeIdentityValue(value))}`;
  } catch {
    return `value ${toBase64(value)}`;
  }
}

function record(subject: KtSubject, kind: KtEvent['kind'], at: number, data: unknown): StoredKtEvidence {
  const text = JSON.stringify(data ?? null);
  return { kind, at, account: subject.account, handle: subject.handle, data: text.length <= MAX_EVIDENCE_DATA_CHARS ? data : { truncated: true, chars: text.length } };
}

function event(subject: KtSubject, kind: KtEvent['kind'], detail: string, extra: Partial<KtEvent> = {}): KtEvent {
  const e: KtEvent = { kind, source: subject.source, detail, ...extra };
  if (subject.account !== undefined) e.account = subject.account;
  if (subject.handle !== undefined) e.handle = subject.handle;
  return e;
}

const nothing = (failure?: KtErrorCode): KtJudgement => ({ event: undefined, evidence: undefined, failure, verified: false });

function withEvidence(subject: KtSubject, e: KtEvent, at: number, data: unknown, failure: KtErrorCode | undefined): KtJudgement {
  const evidence = record(subject, e.kind, at, data);
  return { event: { ...e, evidence: { kind: e.kind, at, ...(subject.account === undefined ? {} : { account: subject.account }), ...(subject.handle === undefined ? {} : { handle: subject.handle }), data: evidence.data } }, evidence, failure, verified: false };
}

/**
 * The judgement of `outcome` for `subject`; `next` is the state the verifier
 * returned (its retained checkpoint is the one a mismatch was proven against),
 * `proof` the answer's base64 search proof.
 */
export function judge(subject: KtSubject, outcome: KtOutcome, next: KtClientState, proof: string, at: number): KtJudgement {
  switch (outcome.kind) {
    case 'verified':
      return { event: event(subject, 'verified', `the log shows version ${outcome.version}: ${describeValue(subject, outcome.value)}`, { logged: true }), evidence: undefined, failure: undefined, verified: true };
    case 'identityChanged':
      return {
        event: event(subject, 'identityChanged', `the log shows a new version ${outcome.to} (was ${outcome.from}): ${describeValue(subject, outcome.value)}`, { logged: true }),
        evidence: undefined,
        failure: undefined,
        verified: true,
      };
    case 'mismatch': {
      const detail = `the key server handed out ${describeValue(subject, outcome.expected)}, but the log's version ${outcome.version} holds ${describeValue(subject, outcome.value)}`;
      const data = { reason: 'mismatch', label: toBase64(subject.label), shown: toBase64(outcome.expected), logged: toBase64(outcome.value), version: outcome.version, checkpoint: next.retained?.note, proof };
      return withEvidence(subject, event(subject, 'mismatch', detail, { logged: true }), at, data, 'KT_MISMATCH');
    }
    case 'ownerAlarm':
      return withEvidence(subject, event(subject, 'ownerAlarm', outcome.evidence.message, { logged: true }), at, outcome.evidence, undefined);
    case 'fork':
      return withEvidence(subject, event(subject, 'fork', outcome.evidence.message), at, outcome.evidence, 'KT_FORK');
    case 'monitorFailed':
      return withEvidence(subject, event(subject, 'monitorFailed', outcome.evidence.message), at, outcome.evidence, 'KT_MONITOR_FAILED');
    case 'unwitnessed':
      return { event: event(subject, 'unwitnessed', `the checkpoint of size ${outcome.size} lacks the pinned witness quorum`), evidence: undefined, failure: 'KT_UNWITNESSED', verified: false };
    case 'stale': {
      // The owner's own new version not logged yet (the sequencer batches): nothing to tell within the window.
      if (outcome.reason === 'notYetLogged') return nothing('KT_STALE');
      const detail =
        outcome.reason === 'rollback'
          ? 'the log served an older checkpoint than one already verified'
          : outcome.reason === 'timestampRegressed'
            ? "the log's newest entry is timestamped before that of a smaller checkpoint already verified"
            : `the log's newest entry is too far ${outcome.reason === 'ahead' ? 'ahead of' : 'behind'} this clock`;
      const e = event(subject, 'stale', detail);
      if (outcome.evidence !== undefined) return withEvidence(subject, e, at, outcome.evidence, 'KT_STALE');
      return { event: e, evidence: undefined, failure: 'KT_STALE', verified: false };
    }
    case 'rejected':
      return { event: event(subject, 'monitorFailed', `the key server's answer did not verify (${outcome.code}: ${outcome.message})`), evidence: undefined, failure: 'KT_BAD_RESPONSE', verified: false };
  }
}

/**
 * The judgement of a `KT_LABEL_NOT_LOGGED` answer (unsigned, so not
 * evidence): for an owner, an alarm once `sinceMs` is more than `windowMs`
 * ago; for a label accepted before, a failed monitor (it was shown, now it
 * is hidden); otherwise a mismatch with `logged: false`.
 */
export function judgeNotLogged(subject: KtSubject, purpose: 'owner' | 'accepted' | 'lookup', at: number, owner?: { sinceMs: number; windowMs: number }): KtJudgement {
  const data = { reason: 'notLogged', label: toBase64(subject.label) };
  if (purpose === 'owner') {
    if (owner !== undefined && at - owner.sinceMs <= owner.windowMs) return nothing('KT_NOT_LOGGED');
    return withEvidence(subject, event(subject, 'ownerAlarm', 'the key server says this device\'s own label is not in the log', { logged: false }), at, data, undefined);
  }
  if (purpose === 'accepted') return withEvidence(subject, event(subject, 'monitorFailed', 'a label the log showed before is not in it any more', { logged: false }), at, data, 'KT_MONITOR_FAILED');
  return withEvidence(subject, event(subject, 'mismatch', 'the key server handed out a key (or account) that is not in the log', { logged: false }), at, data, 'KT_NOT_LOGGED');
}
