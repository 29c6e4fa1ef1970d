/**
 * `KtLog`: the key server's key-transparency log over a `KtStore` — the
 * single sequencer (pending updates → one log entry per batch, heartbeat
 * entries), the checkpoint signer, the witness rounds, and the search
 * prover (kt-search.ts). See docs/key-transparency.md "## Server".
 *
 * One sequencer per database: without a `cluster` (SQLite) this KtLog is
 * the only writer of the kt_* tables; with one (PostgreSQL, several
 * instances: kt-cluster.ts) it sequences only while `cluster.leading`, and
 * otherwise follows what the leader writes (`follow`).
 * Clock, randomness (openings), VRF secret, note key, origin and witnesses
 * are injected, so tests run it standalone over a store with a fake clock.
 */
import {
  type KtConfigJson,
  type LogEntry,
  type NoteSigner,
  computeCommitment,
  consistencyProof,
  ed25519NoteSigner,
  hashLeaf,
  encodeLogEntry,
  parseVerifierKey,
  signCheckpoint,
  vrfInput,
  vrfPublicKey,
} from '@sealpost/keytrans';
import { randomBytes, toBase64, toHex } from '@sealpost/protocol/primitives';
import type { KtCluster, KtNotice } from './kt-cluster.ts';
import { type HeldCheckpoint, mergeCosignatures, newestWitnessed } from './held-checkpoints.ts';
import { KtAppendConflict, type KtStore, type KtVersionRow, type VrfProofRow } from './kt-store.ts';
import { LogIndex } from './log-index.ts';
import { type KtLogSettings, type KtTimings, timingsOf } from './kt-log-settings.ts';
import { type KtSettled, KtWaiters } from './waiters.ts';
import { type VrfProver, inlineVrfProver, WorkerVrfProver } from './vrf-prover.ts';
import { WitnessClient } from './witness-client.ts';

export type { KtLogSettings } from './kt-log-settings.ts';

export interface KtLogOptions extends KtLogSettings {
  store: KtStore;
  /** Other instances on the same database (PostgreSQL: pg-kt-cluster.ts); absent: this log always sequences. */
  cluster?: KtCluster;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Random bytes (commitment openings). */
  random?: (n: number) => Uint8Array;
  /** Where failures are reported (never labels or values). */
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export type { KtSettled } from './waiters.ts';

export class KtLog {
  readonly origin: string;
  readonly signer: NoteSigner & { readonly vkey: string };
  readonly store: KtStore;
  readonly quorum: number;
  private readonly now: () => number;
  private readonly random: (n: number) => Uint8Array;
  private readonly prover: VrfProver;
  private readonly witnesses: WitnessClient[];
  private readonly cps = new Map<number, HeldCheckpoint>();
  private readonly waiters: KtWaiters;
  /** Where failures are reported (the app sets its pino logger). */
  logger: KtLogOptions['log'];
  private witnessedSize = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private inRound = false;
  private lastRoundAt = 0;
  private closed = false;
  /** Index changes (a batch, a follow) one at a time. */
  private mutex: Promise<unknown> = Promise.resolve();
  private followQueued: Promise<void> | undefined;
  private readonly witnessNames: ReadonlySet<string>;
  private readonly s: KtTimings;

  private constructor(
    private readonly options: KtLogOptions,
    readonly index: LogIndex,
  ) {
    this.store = options.store;
    this.origin = options.origin;
    this.signer = ed25519NoteSigner(options.origin, options.logNoteKey);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? randomBytes;
    this.logger = options.log;
    this.s = timingsOf(options);
    this.witnesses = (options.witnesses ?? []).map((w) => new WitnessClient(w, this.s.witnessTimeoutMs));
    this.witnessNames = new Set(this.witnesses.map((w) => w.name));
    this.waiters = new KtWaiters(this.s.settleTimeoutMs, (position) => this.quorum === 0 || this.witnessedSize > position);
    const n = this.witnesses.length;
    this.quorum = options.witnessQuorum ?? (n === 0 ? 0 : Math.floor(n / 2) + 1);
    if (this.quorum < 0 || this.quorum > n) throw new Error(`key transparency: a witness quorum of ${this.quorum} with ${n} witnesses`);
    this.prover = this.s.vrfThreads > 0 ? new WorkerVrfProver(options.vrfSecretKey, this.s.vrfThreads) : inlineVrfProver(options.vrfSecretKey);
  }

  /** Opens the log: rebuilds the index from the store, then starts the sequencer's timers. */
  static async open(options: KtLogOptions): Promise<KtLog> {
    const held = await options.store.checkpoints(64);
    const witnessNames = new Set((options.witnesses ?? []).map((w) => parseVerifierKey(w.vkey).name));
    const n = witnessNames.size;
    const quorum = options.witnessQuorum ?? (n === 0 ? 0 : Math.floor(n / 2) + 1);
    const cps = new Map<number, HeldCheckpoint>();
    for (const c of held) cps.set(c.size, mergeCosignatures(undefined, c, witnessNames));
    const newest = held[0]?.size ?? 0;
    const witnessed = quorum === 0 ? newest : (held.find((c) => cps.get(c.size)!.cosigs.size >= quorum)?.size ?? 0);
    const proven = witnessed > 0 ? witnessed : newest;
    const index = await LogIndex.rebuild(options.store, proven - 1);
    const log = new KtLog(options, index);
    for (const [size, c] of cps) if (size >= witnessed) log.cps.set(size, c);
    log.witnessedSize = witnessed;
    const poll = Math.max(10, Math.min(1000, Math.floor(log.s.heartbeatMs / 4)));
    log.pollTimer = setInterval(() => log.background(log.tick(), 'tick'), poll);
    log.pollTimer.unref();
    await options.cluster?.start({ leadership: (leading) => log.leadershipChanged(leading), notice: (kind) => log.noticed(kind) });
    log.background(log.tick(), 'tick');
    return log;
  }

  /**
   * Runs `work` in the background: a failure (the database unreachable, a
   * timeout) is logged and retried by the next tick, never left as an
   * unhandled rejection that would take the process down.
   */
  private background(work: Promise<unknown>, what: string): void {
    work.catch((err: unknown) => this.logger?.error({ err: { message: (err as Error).message } }, `key transparency: ${what} failed`));
  }

  /** True while this instance sequences (always without a cluster). */
  get leading(): boolean {
    return this.options.cluster?.leading ?? true;
  }

  private leadershipChanged(leading: boolean): void {
    if (leading) {
      this.background(this.tick(), 'tick');
    } else if (this.batchTimer !== undefined) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
  }

  private noticed(kind: KtNotice): void {
    if (kind === 'pending') {
      if (this.leading) this.wake();
    } else {
      this.background(this.follow(), 'follow');
    }
  }

  /** The newest checkpoint size (= log size). */
  get size(): number {
    return this.index.size;
  }

  /** The newest checkpoint a witness quorum cosigned (0: none). */
  get witnessed(): number {
    return this.witnessedSize;
  }

  /** The size searches prove against: the witnessed checkpoint, or the newest while none is witnessed. */
  get provenSize(): number {
    return this.witnessedSize > 0 ? this.witnessedSize : this.index.size;
  }

  /** `GET /v1/kt/config`. */
  config(): KtConfigJson {
    return {
      origin: this.origin,
      logVerifierKey: this.signer.vkey,
      vrfPublicKey: toBase64(vrfPublicKey(this.options.vrfSecretKey)),
      maxAheadMs: this.s.maxAheadMs,
      maxBehindMs: this.s.maxBehindMs,
    };
  }

  /** The checkpoint of `size` as a note with the cosignature lines held (undefined if not held). */
  checkpointNote(size: number): string | undefined {
    const c = this.cps.get(size);
    if (c === undefined) return undefined;
    return c.note + this.witnesses.map((w) => c.cosigs.get(w.name) ?? '').join('');
  }

  /** Queues updates (new versions of their labels); resolves once they are sequenced and witnessed, or after the settle timeout. */
  async enqueue(updates: readonly { label: Uint8Array; value: Uint8Array }[]): Promise<KtSettled> {
    if (updates.length === 0) return { sequenced: true, witnessed: true };
    const ids = await this.store.enqueue(updates, this.now());
    if (!this.leading) this.options.cluster?.announce('pending');
    return this.wait(new Set(), new Set(ids));
  }

  /** Resolves once `label` has a version in the log and that entry is witnessed (or after the settle timeout). */
  async settled(label: Uint8Array): Promise<KtSettled> {
    const hex = toHex(label);
    // Account creation and handle claims queued the update in their own transaction: tell the leader.
    if (!this.leading) this.options.cluster?.announce('pending');
    const waiting = this.wait(new Set([hex]), new Set());
    const row = await this.store.greatestVersion(label, Number.MAX_SAFE_INTEGER);
    if (row !== undefined) {
      this.waiters.labelsAt(new Map([[hex, row.position]]));
      this.waiters.settle();
    }
    return waiting;
  }

  private wait(labels: Set<string>, ids: Set<number>): Promise<KtSettled> {
    const waiting = this.waiters.wait(labels, ids);
    this.wake();
    return waiting;
  }

  /** Schedules a batch within `batchMs`. */
  private wake(): void {
    if (this.batchTimer !== undefined || this.closed || !this.leading) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      void this.sequence(false);
    }, this.s.batchMs);
  }

  /** Heartbeat, pending updates left behind (a crash, a failed batch), witness retries. Called by the poll timer; tests call it directly. */
  async tick(): Promise<void> {
    if (this.closed) return;
    if (this.options.cluster !== undefined) {
      await this.follow();
      if (!this.leading || this.closed) return;
    }
    const last = this.index.entries[this.index.size - 1];
    if (last !== undefined && this.now() - last.timestamp >= this.s.heartbeatMs) await this.sequence(true);
    else if (this.batchTimer === undefined && (await this.store.pending(1)).length > 0) this.wake();
    if (this.provenSize < this.index.size && Date.now() - this.lastRoundAt >= this.s.witnessRetryMs) this.background(this.witnessRound(), 'witness round');
  }

  /** Sequences the pending updates into one entry (or an empty heartbeat entry when `heartbeat` and none are pending). */
  private async sequence(heartbeat: boolean): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.exclusive(() => this.runBatch(heartbeat))
      .catch((err: unknown) => {
        if (!(err instanceof KtAppendConflict)) return this.logger?.error({ err: { message: (err as Error).message } }, 'key transparency: sequencing failed');
        // Another sequencer appended first (or this one lost the lock): nothing was written; catch up.
        this.logger?.warn({ err: { message: err.message } }, 'key transparency: batch refused by the database');
        this.background(this.follow(), 'follow');
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          void this.sequence(false);
        }
      });
    return this.running;
  }

  /** Runs `fn` after every index change before it (batches and follows never interleave). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private async runBatch(heartbeat: boolean): Promise<void> {
    if (this.options.cluster !== undefined) {
      if (!this.leading) return;
      // A new leader first takes in what the previous one wrote.
      await this.followOnce();
    }
    const rows = await this.store.pending(this.s.maxBatch);
    if (rows.length === 0 && !heartbeat) return;
    if (this.closed) return;
    const position = this.index.size;
    // Versions: the label's count in the database, plus earlier updates of the same label in this batch.
    const nextVersion = new Map<string, number>();
    const planned: { row: (typeof rows)[number]; hex: string; version: number; cached: VrfProofRow | undefined }[] = [];
    const usedVrfNext: Uint8Array[] = [];
    for (const row of rows) {
      const hex = toHex(row.label);
      const inBatch = nextVersion.get(hex);
      const version = inBatch ?? (await this.store.versionCount(row.label));
      nextVersion.set(hex, version + 1);
      // The proof a search cached for the version after the label's greatest one (first update of the label in this batch only).
      let cached: VrfProofRow | undefined;
      const previous = inBatch === undefined && version > 0 ? await this.store.version(row.label, version - 1) : undefined;
      if (previous !== undefined) {
        cached = await this.store.vrfNext(previous.searchKey);
        if (cached !== undefined) usedVrfNext.push(previous.searchKey);
      }
      planned.push({ row, hex, version, cached });
    }
    const toProve = planned.filter((p) => p.cached === undefined);
    const proofs = await this.prover.prove(toProve.map((p) => vrfInput(p.row.label, p.version)));
    toProve.forEach((p, i) => (p.cached = proofs[i]));
    if (this.closed) return;
    let tree = this.index.current;
    const versions: KtVersionRow[] = planned.map((p) => {
      const opening = this.random(16);
      const commitment = computeCommitment(opening, p.row.label, p.version, p.row.value);
      tree = tree.insert(p.cached!.searchKey, commitment);
      return {
        label: p.row.label,
        version: p.version,
        position,
        opening,
        value: p.row.value,
        vrfProof: p.cached!.proof,
        searchKey: p.cached!.searchKey,
        commitment,
      };
    });
    const last = this.index.entries[position - 1];
    const entry: LogEntry = { timestamp: Math.max(this.now(), last?.timestamp ?? 0), prefixRoot: tree.root };
    const rootHash = this.index.rootWith(hashLeaf(encodeLogEntry(entry)));
    const note = signCheckpoint({ origin: this.origin, size: position + 1, rootHash, extensions: [] }, this.signer);
    if (!this.leading || this.closed) return;
    await this.store.appendBatch({
      entry: { position, timestampMs: entry.timestamp, prefixRoot: entry.prefixRoot },
      versions,
      pendingIds: rows.map((r) => r.id),
      usedVrfNext,
      checkpointNote: note,
    });
    this.index.append(entry, tree);
    this.options.cluster?.announce('entry');
    this.cps.set(position + 1, { note, cosigs: new Map() });
    if (this.quorum === 0) this.advanceWitnessed(position + 1);
    this.waiters.labelsAt(new Map(planned.map((p) => [p.hex, position])));
    const logged = new Set(rows.map((r) => r.id));
    this.waiters.idsAt(position, (id) => logged.has(id));
    this.waiters.settle();
    if (rows.length === this.s.maxBatch) this.again = true;
    this.background(this.witnessRound(), 'witness round');
  }

  /** Submits the newest checkpoint to every witness; stores the cosignatures; advances the witnessed checkpoint. */
  private async witnessRound(): Promise<void> {
    if (this.inRound || this.witnesses.length === 0 || this.closed || !this.leading) return;
    const size = this.index.size;
    const held = this.cps.get(size);
    if (size <= this.witnessedSize || held === undefined) return;
    this.inRound = true;
    this.lastRoundAt = Date.now();
    let progressed = false;
    try {
      const outcomes = await Promise.all(
        this.witnesses
          .filter((w) => !held.cosigs.has(w.name))
          .map(async (w) => ({ w, outcome: await w.submit(held.note, size, (from) => consistencyProof(this.index.leaves, from, size)) })),
      );
      for (const { w, outcome } of outcomes) {
        if (outcome.ok) {
          if (this.closed) return;
          await this.store.addCosignatures(size, outcome.lines);
          held.cosigs.set(w.name, outcome.lines);
        } else if (outcome.reason === 'ahead') {
          this.logger?.error({ witness: w.name, witnessSize: outcome.witnessSize, size }, 'key transparency: a witness holds a larger checkpoint of this log than the log');
        } else {
          this.logger?.warn({ witness: w.name, reason: outcome.reason, status: outcome.status }, 'key transparency: witness did not cosign');
        }
      }
      if (outcomes.some((o) => o.outcome.ok)) this.options.cluster?.announce('cosig');
      if (held.cosigs.size >= this.quorum) {
        this.advanceWitnessed(size);
        progressed = true;
      }
    } finally {
      this.inRound = false;
    }
    if (progressed && this.index.size > size) this.background(this.witnessRound(), 'witness round');
  }

  private advanceWitnessed(size: number): void {
    if (size <= this.witnessedSize) return;
    this.witnessedSize = size;
    for (const s of this.cps.keys()) if (s < size) this.cps.delete(s);
    this.index.forgetBefore(size - 1);
    this.waiters.settle();
  }

  /**
   * Takes in what another instance wrote: new entries (index.follow checks
   * every prefix root), checkpoints and cosignatures, and settles the
   * waiters whose updates that sequenced. Notices and the poll timer call it.
   */
  follow(): Promise<void> {
    if (this.followQueued !== undefined) return this.followQueued;
    const queued = this.exclusive(async () => {
      this.followQueued = undefined;
      if (!this.closed) await this.followOnce();
    }).catch((err: unknown) => this.logger?.error({ err: { message: (err as Error).message } }, 'key transparency: following the log failed'));
    this.followQueued = queued;
    return queued;
  }

  private async followOnce(): Promise<void> {
    // Pending rows first: one gone before the entries are read is in an entry that read sees (same transaction).
    const asked = new Set(this.waiters.pendingIds());
    const still = asked.size === 0 ? new Set<number>() : new Set(await this.store.pendingPresent([...asked]));
    this.waiters.labelsAt(await this.index.follow(this.store));
    // At or before the newest entry read: waiting for a witnessed checkpoint above it is safe.
    this.waiters.idsAt(this.index.size - 1, (id) => asked.has(id) && !still.has(id));
    const rows = await this.store.checkpointsSince(Math.max(1, this.witnessedSize), 64);
    for (const row of rows) {
      // Rows committed after the entries were read wait for the next follow.
      if (row.size > this.index.size) continue;
      this.cps.set(row.size, mergeCosignatures(this.cps.get(row.size), row, this.witnessNames));
    }
    const witnessed = this.quorum === 0 ? (this.cps.has(this.index.size) ? this.index.size : 0) : newestWitnessed(this.cps, this.quorum, this.index.size);
    this.advanceWitnessed(witnessed);
    this.waiters.settle();
  }

  /** The RFC 6962 consistency proof between two sizes of this log. */
  consistency(from: number, to: number): Uint8Array[] {
    return from === to ? [] : consistencyProof(this.index.leaves, from, to);
  }

  /** The VRF proof (and output) of the version after `current` (proved once, then cached or read from kt_versions). */
  async nextVrfProof(current: KtVersionRow): Promise<VrfProofRow> {
    const present = await this.store.version(current.label, current.version + 1);
    if (present !== undefined) return { proof: present.vrfProof, searchKey: present.searchKey };
    const cached = await this.store.vrfNext(current.searchKey);
    if (cached !== undefined) return cached;
    const [proved] = await this.prover.prove([vrfInput(current.label, current.version + 1)]);
    await this.store.putVrfNext(current.searchKey, proved!);
    return proved!;
  }

  /** Stops the timers, lets a running batch finish, resolves every waiter. */
  async close(): Promise<void> {
    this.closed = true;
    await this.options.cluster?.close();
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    await this.running;
    // A follow already queued finds the log closed; one under way finishes before the store closes.
    await this.mutex;
    this.waiters.finishAll();
    await this.prover.close();
  }
}
