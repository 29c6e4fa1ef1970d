/**
 * One key-transparency search at a time: read the verifier's state from the
 * store, ask the key server (`POST /v1/kt/search`), verify and apply the
 * answer (`applySearch`, pure), and write the new state with any evidence in
 * ONE transaction — only when the answer verified. A failed verification,
 * a network error or a crash before the commit writes nothing, so the state
 * stays exactly as it was. Searches are serialized, so every request is built
 * from the state its answer is applied to.
 */
import {
  KT_ERROR_CODES,
  applySearch,
  decodeKtState,
  emptyKtState,
  encodeKtState,
  ktSearchRequest,
  labelKey,
  type KtClientState,
  type KtPurpose,
} from '@sealpost/keytrans';
import { equalBytes } from '@sealpost/protocol/primitives';
import { ClientError, ServiceError } from '../errors.ts';
import type { KeyServerClient } from '../keyserver-client.ts';
import { SerialQueue } from '../store/serial.ts';
import type { ClientStore, StoreTransaction } from '../store/types.ts';
import { KtError } from './errors.ts';
import type { KtConfig } from './options.ts';
import { judge, judgeNotLogged, type KtJudgement, type KtSubject } from './outcome.ts';

/** One search to run. */
export interface KtSearch extends KtSubject {
  readonly purpose: KtPurpose;
  /** The value about to be used (lookups): the log must hold exactly it. */
  readonly expectedValue?: Uint8Array | undefined;
}

export interface KtCheckerDeps {
  store: ClientStore;
  keyServer: KeyServerClient;
  config: KtConfig;
  now: () => number;
}

export class KtChecker {
  readonly #queue = new SerialQueue();
  /** The last state read or written, with its bytes (decoded again only when the stored bytes differ). */
  #cached: { bytes: Uint8Array; state: KtClientState } | undefined;

  constructor(private readonly d: KtCheckerDeps) {}

  /** The current state (a decoded copy of what the store holds). */
  state(): Promise<KtClientState> {
    return this.#queue.run(() => this.#load(this.d.store));
  }

  /**
   * True when `label` was verified holding `value` within `withinMs` (no
   * query needed before using it again).
   */
  async recentlyVerified(label: Uint8Array, value: Uint8Array, withinMs: number): Promise<boolean> {
    if (withinMs <= 0) return false;
    const accepted = (await this.state()).labels.get(labelKey(label));
    return accepted !== undefined && equalBytes(accepted.value, value) && this.d.now() - accepted.lastCheckedMs < withinMs;
  }

  /**
   * Changes the state outside a search (registering an owned label), in one
   * transaction with whatever `fn` also writes through `tx`.
   */
  update(fn: (state: KtClientState, tx: StoreTransaction) => Promise<KtClientState> | KtClientState): Promise<void> {
    return this.#queue.run(() =>
      this.d.store.transaction(async (tx) => {
        const state = await this.#load(tx);
        const next = await fn(state, tx);
        if (next !== state) await this.#save(tx, next);
      }),
    );
  }

  /**
   * Runs `search`. Network errors and service errors other than
   * `KT_LABEL_NOT_LOGGED` propagate (nothing written); everything the server
   * says is judged (`outcome.ts`).
   */
  run(search: KtSearch): Promise<KtJudgement> {
    return this.#queue.run(async () => {
      const state = await this.#load(this.d.store);
      const request = ktSearchRequest(state, search.label);
      let response: unknown;
      try {
        response = await this.d.keyServer.ktSearch(request);
      } catch (e) {
        // A malformed answer (kt/wire-check.ts) is judged like one that does not verify; it writes nothing.
        if (e instanceof KtError && e.code === 'KT_BAD_RESPONSE') return judge(search, { kind: 'rejected', code: 'MALFORMED', message: e.message }, state, '', this.d.now());
        if (!(e instanceof ServiceError && e.status === 404 && e.serviceCode === KT_ERROR_CODES.labelNotLogged)) throw e;
        return this.#notLogged(search, state);
      }
      const now = this.d.now();
      const { state: next, outcome } = applySearch({
        state,
        pinned: this.d.config.pinned,
        label: search.label,
        request,
        response,
        nowMs: now,
        purpose: search.purpose,
        ...(search.expectedValue === undefined ? {} : { expectedValue: search.expectedValue }),
      });
      const judgement = judge(search, outcome, next, (response as { proof: string }).proof, now);
      if (next !== state || judgement.evidence !== undefined) {
        await this.d.store.transaction(async (tx) => {
          if (next !== state) await this.#save(tx, next);
          if (judgement.evidence !== undefined) await tx.kt.addEvidence(judgement.evidence);
        });
      }
      return judgement;
    });
  }

  async #notLogged(search: KtSearch, state: KtClientState): Promise<KtJudgement> {
    const now = this.d.now();
    const key = labelKey(search.label);
    const owned = state.owned.get(key);
    const judgement =
      search.purpose === 'owner'
        ? judgeNotLogged(search, 'owner', now, owned === undefined ? undefined : { sinceMs: owned.sinceMs, windowMs: this.d.config.pinned.maxBehindMs })
        : judgeNotLogged(search, state.labels.has(key) ? 'accepted' : 'lookup', now);
    if (judgement.evidence !== undefined) await this.d.store.kt.addEvidence(judgement.evidence);
    return judgement;
  }

  async #load(roles: Pick<StoreTransaction, 'kt'>): Promise<KtClientState> {
    const bytes = await roles.kt.state();
    if (bytes === undefined) return emptyKtState();
    if (this.#cached !== undefined && equalBytes(this.#cached.bytes, bytes)) return this.#cached.state;
    let state: KtClientState;
    try {
      state = decodeKtState(bytes);
    } catch (e) {
      throw new ClientError('INVALID_DATA', `the stored key-transparency state does not decode (${(e as Error).message})`, { cause: e });
    }
    this.#cached = { bytes, state };
    return state;
  }

  async #save(tx: StoreTransaction, state: KtClientState): Promise<void> {
    const bytes = encodeKtState(state);
    await tx.kt.setState(bytes, this.d.now());
    // Cached once written: a transaction that rolls back leaves other bytes in the store, which #load then decodes.
    this.#cached = { bytes, state };
  }
}
