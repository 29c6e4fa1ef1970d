/**
 * The key-transparency status of each conversation, from the client's `kt`
 * events (and, after a reload, its stored evidence): `verified` once the log
 * showed the contact's key, `mismatch` once the key server handed out a key
 * the log contradicts (kept: the evidence does not go away), `alarm` when
 * this account's own label shows a version this device did not create (the
 * key server swapped *our* key, so every conversation is affected).
 */
import type { KtEvent, KtEvidenceRecord } from '@sealpost/client/browser';

export type KtConversationStatus = 'off' | 'unchecked' | 'verified' | 'mismatch' | 'alarm';

/** What the header shows for a status: a word and its tooltip. */
export const KT_STATUS_TEXT: Record<KtConversationStatus, { label: string; title: string }> = {
  off: { label: '', title: 'Key transparency is not configured for this deployment' },
  unchecked: { label: 'KT: not checked yet', title: "This contact's key has not been checked against the key-transparency log yet" },
  verified: { label: 'KT: verified', title: "The key-transparency log (cosigned by the witnesses) holds the key this conversation uses" },
  mismatch: { label: 'KT: mismatch', title: 'The key server handed out a key the key-transparency log contradicts: nothing was encrypted to it (evidence kept)' },
  alarm: { label: 'KT: alarm — your key was swapped', title: 'The log shows a key for your account that this device did not create' },
};

const CONTRADICTIONS = new Set<KtEvent['kind']>(['mismatch', 'fork', 'monitorFailed']);

export class KtStatusBoard {
  readonly #contacts = new Map<string, 'verified' | 'mismatch'>();
  #ownAlarm = false;

  constructor(readonly enabled: boolean) {}

  /** Applies one `kt` event (`own`: this account); true when a status changed. */
  apply(event: KtEvent, own: string | undefined): boolean {
    if (event.kind === 'ownerAlarm') {
      const changed = !this.#ownAlarm;
      this.#ownAlarm = true;
      return changed;
    }
    const account = event.account;
    if (account === undefined || account === own || event.handle !== undefined) return false;
    const before = this.#contacts.get(account);
    if (CONTRADICTIONS.has(event.kind)) this.#contacts.set(account, 'mismatch');
    else if ((event.kind === 'verified' || event.kind === 'identityChanged') && before !== 'mismatch') this.#contacts.set(account, 'verified');
    return this.#contacts.get(account) !== before;
  }

  /** Restores the contradictions and alarms found before (the client's stored evidence). */
  load(evidence: readonly KtEvidenceRecord[], own: string | undefined): void {
    for (const r of evidence) this.apply({ kind: r.kind, source: 'contact', ...(r.account === undefined ? {} : { account: r.account }), ...(r.handle === undefined ? {} : { handle: r.handle }) }, own);
  }

  status(account: string): KtConversationStatus {
    if (!this.enabled) return 'off';
    if (this.#ownAlarm) return 'alarm';
    return this.#contacts.get(account) ?? 'unchecked';
  }
}
