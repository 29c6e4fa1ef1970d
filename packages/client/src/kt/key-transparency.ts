/**
 * `client.keyTransparency`: the client's side of key transparency (issue 15,
 * design §3.5–3.6, phase 1). Every bundle fetch is checked against the log
 * before a session is built (`checkBundle`), a sealed-sender contact's key
 * is checked in the background on first contact (`senderSeen`), this
 * device monitors the labels it owns (its account's identity key, its
 * handle) and re-checks contacts' keys every `monitorIntervalMs`, and every
 * result is a `kt` event. The verification itself is @sealpost/keytrans's
 * (`applySearch`); the state and evidence live in the store's `kt` role.
 */
import { accountLabel, encodeIdentityValue, labelKey, labelsToMonitor, parseLabel, setOwnedLabel, type KtClientState } from '@sealpost/keytrans';
import { fromBase64 } from '../encoding.ts';
import type { KeyServerClient } from '../keyserver-client.ts';
import type { ClientStore, RegisteredAccount } from '../store/types.ts';
import { KtChecker, type KtSearch } from './checker.ts';
import { KtError } from './errors.ts';
import type { KtConfig } from './options.ts';
import type { KtJudgement } from './outcome.ts';
import { KtSchedule } from './schedule.ts';
import type { KtEvent, KtEvidenceRecord, KtMode } from './types.ts';

export interface KeyTransparencyDeps {
  store: ClientStore;
  keyServer: KeyServerClient;
  /** The checked option; undefined when the app gave none (everything is off). */
  config: KtConfig | undefined;
  now: () => number;
  own: () => RegisteredAccount;
  emit: (event: KtEvent) => void;
  /** Reports a handled problem (an unreachable key server during monitoring). */
  emitError: (error: unknown) => void;
  /** Randomness of the jitter and background delays (tests). */
  random?: () => number;
}

/** What `status()` tells. */
export interface KtStatus {
  mode: KtMode;
  /** The size of the newest witnessed checkpoint verified, if any. */
  checkpointSize: number | undefined;
  /** Log-signed checkpoints still waiting for the witness quorum. */
  pendingCheckpoints: number;
  /** Labels looked up (contacts, handles) and how many are still monitored. */
  acceptedLabels: number;
  monitoredLabels: number;
  /** Labels this device owns (its account, its handle). */
  ownedLabels: number;
  evidence: number;
}

export class KeyTransparency {
  readonly #checker: KtChecker | undefined;
  readonly #schedule: KtSchedule;
  /** account + key already checked (or queued) as a sealed sender in this run. */
  readonly #senders = new Set<string>();

  constructor(private readonly d: KeyTransparencyDeps) {
    this.#schedule = new KtSchedule(d.random, (error) => d.emitError(error));
    if (d.config !== undefined) {
      if (d.config.url !== undefined) d.keyServer.keyTransparencyUrl = d.config.url;
      this.#checker = new KtChecker({ store: d.store, keyServer: d.keyServer, config: d.config, now: d.now });
    }
  }

  /** The mode in force (`off` without the option). */
  get mode(): KtMode {
    return this.d.config?.mode ?? 'off';
  }

  /** Every piece of evidence this device found (oldest first): signed checkpoints, proofs, the values that contradict each other. */
  async evidence(): Promise<KtEvidenceRecord[]> {
    return (await this.d.store.kt.evidence()).map((r) => ({ kind: r.kind as KtEvidenceRecord['kind'], at: r.at, ...(r.account === undefined ? {} : { account: r.account }), ...(r.handle === undefined ? {} : { handle: r.handle }), data: r.data }));
  }

  /** Where the verifier stands (for diagnostics). */
  async status(): Promise<KtStatus> {
    const s = this.#checker === undefined ? undefined : await this.#checker.state();
    const labels = s === undefined ? [] : [...s.labels.values()];
    return {
      mode: this.mode,
      checkpointSize: s?.retained?.size,
      pendingCheckpoints: s?.pending.length ?? 0,
      acceptedLabels: labels.length,
      monitoredLabels: labels.filter((l) => !l.done).length,
      ownedLabels: s?.owned.size ?? 0,
      evidence: (await this.d.store.kt.evidence()).length,
    };
  }

  /** How long a verified label is trusted without a new query (ms). */
  get recheckAfterMs(): number {
    return this.d.config?.recheckAfterMs ?? 0;
  }

  /** The checker when checks are on (configured, mode not `off`). */
  get active(): KtChecker | undefined {
    return this.mode === 'off' ? undefined : this.#checker;
  }

  /**
   * Runs one search and emits its `kt` event; under `enforce` a failure the
   * caller may refuse for (`refusable`) throws `KtError` after the event.
   */
  async check(search: KtSearch, refusable: boolean): Promise<KtJudgement> {
    const checker = this.active;
    if (checker === undefined) throw new KtError('KT_INVALID_CONFIG', 'key transparency is not on (option keyTransparency, mode enforce or warn)');
    let judgement: KtJudgement;
    try {
      judgement = await checker.run(search);
    } catch (error) {
      // No answer to judge (the key server unreachable, KT_DISABLED, ...): `enforce` cannot let the key through; otherwise report and go on.
      if (refusable && this.mode === 'enforce') throw error;
      this.d.emitError(error);
      return { event: undefined, evidence: undefined, failure: 'KT_BAD_RESPONSE', verified: false };
    }
    const refuse = refusable && judgement.failure !== undefined && this.mode === 'enforce';
    if (judgement.event !== undefined) this.d.emit(refuse ? { ...judgement.event, refused: true } : judgement.event);
    if (refuse) {
      throw new KtError(judgement.failure!, `key transparency refused ${search.handle !== undefined ? `handle @${search.handle}` : `the key of ${search.account ?? 'this account'}`}: ${judgement.event?.detail ?? judgement.failure}`, {
        account: search.account,
        event: judgement.event === undefined ? undefined : { ...judgement.event, refused: true },
      });
    }
    return judgement;
  }

  /**
   * Before a session is built with `account`'s bundle: the log must hold
   * `identityKey` as the account label's greatest version. `enforce` throws
   * `KtError` (nothing may be encrypted to the key); `warn` emits and goes
   * on. A label verified with this key within `recheckAfterMs` is not asked
   * again. Returns whether the log showed this key (undefined: not checked).
   */
  async checkBundle(account: string, identityKey: Uint8Array): Promise<{ logged: boolean } | undefined> {
    const checker = this.active;
    if (checker === undefined || account === this.d.own().account) return undefined;
    const label = accountLabel(account);
    const value = encodeIdentityValue(identityKey);
    if (await checker.recentlyVerified(label, value, this.recheckAfterMs)) return { logged: true };
    const judgement = await this.check({ label, source: 'bundle', account, purpose: 'lookup', expectedValue: value }, true);
    return { logged: judgement.verified };
  }

  /**
   * A sealed-sender envelope from `account` named `identityKey` (from the
   * server-signed sender certificate): unless the log already showed that
   * key, check it in the background after a random delay (`kt` event on a
   * mismatch; nothing is refused: the message is already here).
   */
  senderSeen(account: string, identityKey: Uint8Array): void {
    const checker = this.active;
    if (checker === undefined || account === this.d.own().account) return;
    const id = `${account}:${identityKey.join(',')}`;
    if (this.#senders.has(id)) return;
    this.#senders.add(id);
    const label = accountLabel(account);
    const value = encodeIdentityValue(identityKey);
    this.#schedule.later(this.d.config!.backgroundDelayMs, async () => {
      try {
        if (await checker.recentlyVerified(label, value, this.recheckAfterMs)) return;
        const j = await this.check({ label, source: 'sender', account, purpose: 'lookup', expectedValue: value }, false);
        if (j.event === undefined) this.#senders.delete(id); // no answer: try again on its next message
      } catch (error) {
        this.#senders.delete(id); // try again on its next message
        this.d.emitError(error);
      }
    });
  }

  /**
   * Registers this device's account label as owned (version 0 with our
   * identity key, which the key server logs at account creation; a linked
   * device owns the same). Idempotent.
   */
  async ownAccount(local: RegisteredAccount = this.d.own()): Promise<void> {
    if (this.#checker === undefined) return;
    const label = accountLabel(local.account);
    await this.#checker.update((state) => (state.owned.has(labelKey(label)) ? state : setOwnedLabel(state, label, 0, encodeIdentityValue(local.identityPublicKey), this.d.now())));
  }

  /** Registers an owned label (the handle this account claimed). */
  async own(label: Uint8Array, version: number, value: Uint8Array): Promise<void> {
    await this.#checker?.update((state) => setOwnedLabel(state, label, version, value, this.d.now()));
  }

  /**
   * Owner and contact monitoring once, now: every owned label is searched
   * (a version or value this device did not create ⇒ `ownerAlarm`), then
   * every accepted label not checked within the interval and not done.
   * Returns the events emitted. Network errors are reported as `error` events.
   */
  async monitorNow(): Promise<KtEvent[]> {
    const checker = this.active;
    if (checker === undefined) return [];
    const events: KtEvent[] = [];
    const state = await checker.state();
    const owned = [...state.owned.keys()].map(fromLabelKey);
    const contacts = labelsToMonitor(state, this.d.now(), this.d.config!.monitorIntervalMs);
    for (const [label, purpose] of [...owned.map((l) => [l, 'owner'] as const), ...contacts.map((l) => [l, 'contact'] as const)]) {
      try {
        const j = await this.check({ label, ...subjectOf(label), source: purpose === 'owner' ? 'owner' : 'contact', purpose }, false);
        if (j.event !== undefined) events.push(j.event);
      } catch (error) {
        this.d.emitError(error);
      }
    }
    return events;
  }

  /** After registering: own the account label and search it (in the background). */
  async registered(): Promise<void> {
    if (this.active === undefined) return;
    await this.ownAccount();
    this.#schedule.later(0, async () => void (await this.monitorNow()));
  }

  /** On start: own the account label (a linked device, or a crash after registering), search now (background) and every interval. */
  async start(): Promise<void> {
    if (this.active === undefined) return;
    await this.registered();
    this.#schedule.repeat(this.d.config!.monitorIntervalMs, async () => void (await this.monitorNow()));
  }

  stop(): void {
    this.#schedule.stop();
  }

  /** The checker's state (tests, diagnostics). */
  async state(): Promise<KtClientState | undefined> {
    return this.#checker?.state();
  }
}

const fromLabelKey = (key: string): Uint8Array => fromBase64('label', key);

/** The account or handle a label names (for events). */
function subjectOf(label: Uint8Array): { account?: string; handle?: string } {
  try {
    const p = parseLabel(label);
    return p.kind === 'account' ? { account: p.accountId } : { handle: p.handle };
  } catch {
    return {};
  }
}
