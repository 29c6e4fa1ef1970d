/**
 * `@sealpost/devkit/kt-services`: the local deployment (`startLocalServices`)
 * with key transparency on — the REAL key server with its KtLog (fresh VRF
 * and checkpoint keys per call, an origin derived from them), three real
 * witnesses (`startWitnesses`, 2-of-3 by default) it submits checkpoints to,
 * one fake clock shared by the key server, its KtLog, the relay, the
 * witnesses and the clients, and clients that pin this log and policy.
 *
 *     const kt = await startKtServices();
 *     const alice = kt.client('enforce');            // keyTransparency pinned, clock = kt.clock
 *     await alice.register();                          // answers once the label is sequenced and witnessed
 *     await kt.advance(kt.monitorIntervalMs);          // clock forward, heartbeat entry, witnessed
 *     await alice.keyTransparency.monitorNow();
 *     await kt.close();
 *
 * The clock stands still unless `advance` moves it, so log timestamps and
 * cosignature times are deterministic; the sequencer's batching and witness
 * rounds still run on real (short) timers. `store` is the key server's
 * SQLite store and `log` its KtLog: what an insider (kt-insider.ts) reaches.
 */
import { randomBytes } from 'node:crypto';
import { MemoryStore, SealpostClient, type KeyTransparencyOptions, type KtEvent, type KtMode, type SealpostClientOptions } from '@sealpost/client';
import { SqliteKeyStore, type KeyServerOptions } from '@sealpost/keyserver';
import { ed25519NoteSigner, vrfPublicKey } from '@sealpost/keytrans';
import { sha256, toBase64, toHex, utf8Encode, ed25519PublicKey } from '@sealpost/protocol/primitives';
import type { FastifyInstance } from 'fastify';
import { startLocalServices, type LocalServices, type LocalServicesOptions } from './local-services.ts';
import { startWitnesses, type RunningWitnesses } from './witnesses.ts';

/** The key server's KT settings (`KeyServerOptions.keyTransparency`). */
export type KtSettings = NonNullable<KeyServerOptions['keyTransparency']>;
/** The key server's running KT log (sequencer, checkpoints, search prover). */
export type KtLogHandle = NonNullable<FastifyInstance['keyserver']['keyTransparency']>;

/** A clock that moves only when told (ms since the epoch; starts at the wall clock). */
export class FakeClock {
  constructor(public ms = Date.now()) {}
  readonly now = (): number => this.ms;
  /** Seconds since the epoch (the witnesses' cosignature clock). */
  readonly seconds = (): number => Math.floor(this.ms / 1000);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface KtServicesOptions {
  /** Witnesses (default 3). */
  witnesses?: number;
  /** Cosignatures a checkpoint needs, for the key server and the clients' policy (default a majority: 2 of 3). */
  quorum?: number;
  /** Default a new FakeClock. */
  clock?: FakeClock;
  /** Sequencer batching, real ms (default 10). */
  batchMs?: number;
  /** Heartbeat interval on the (fake) clock (default 60 000). */
  heartbeatMs?: number;
  /** The clients' monitoring interval on the (fake) clock (default 60 000). */
  monitorIntervalMs?: number;
  /** The key server's SQLite file (default ':memory:'). */
  storePath?: string;
  /** More options of the local services (keyServer options are merged under the KT ones). */
  services?: LocalServicesOptions;
}

export interface KtClientExtra extends Partial<SealpostClientOptions> {
  /** Overrides of the pinned `keyTransparency` option (mode comes from the first argument). */
  kt?: Partial<KeyTransparencyOptions>;
}

export interface KtServices {
  readonly services: LocalServices;
  readonly witnesses: RunningWitnesses;
  readonly clock: FakeClock;
  /** The key server's KT settings (its secret keys: an insider's). */
  readonly settings: KtSettings;
  /** The key server's SQLite store (the database an insider can copy). */
  readonly store: SqliteKeyStore;
  /** The key server's KT log. */
  readonly log: KtLogHandle;
  readonly monitorIntervalMs: number;
  /** What a client pins (without the mode). */
  readonly pinned: Omit<KeyTransparencyOptions, 'mode'>;
  /** The `keyTransparency` option for `mode`. */
  ktOptions(mode: KtMode, extra?: Partial<KeyTransparencyOptions>): KeyTransparencyOptions;
  /** A test client (in-memory store, manual receiving, the fake clock, this log pinned); closed by `close()`. */
  client(mode: KtMode, extra?: KtClientExtra): SealpostClient;
  /** Waits until nothing is pending and the newest checkpoint is witnessed. */
  settle(timeoutMs?: number): Promise<void>;
  /** A heartbeat entry now (if the clock moved a heartbeat on), then `settle`. */
  heartbeat(): Promise<void>;
  /** Moves the clock by `ms`, writes a heartbeat entry and waits until it is witnessed. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Fresh KT keys and the origin for them (as `sealpost-keyserver keygen` derives it). */
export function freshKtSettings(overrides: Partial<KtSettings> = {}): KtSettings {
  const vrfSecretKey = new Uint8Array(randomBytes(32));
  const logNoteKey = new Uint8Array(randomBytes(32));
  const suffix = toHex(sha256(utf8Encode('sealpost-kt/1'), vrfPublicKey(vrfSecretKey), ed25519PublicKey(logNoteKey))).slice(0, 16);
  return { vrfSecretKey, logNoteKey, origin: `keys.sealpost.test/sealpost-kt/${suffix}`, ...overrides };
}

/** Polls `done` every 5 ms until it holds (throws after `timeoutMs`). */
export async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Collects a client's `kt` events. */
export function collectKt(client: SealpostClient): KtEvent[] {
  const events: KtEvent[] = [];
  client.on('kt', (e) => events.push(e));
  return events;
}

/** Starts the KT deployment: witnesses first (they must know the log key), then the key server and relay. */
export async function startKtServices(options: KtServicesOptions = {}): Promise<KtServices> {
  const clock = options.clock ?? new FakeClock();
  const n = options.witnesses ?? 3;
  const quorum = options.quorum ?? Math.floor(n / 2) + 1;
  const monitorIntervalMs = options.monitorIntervalMs ?? 60_000;
  const base = freshKtSettings();
  const logVerifierKey = ed25519NoteSigner(base.origin, base.logNoteKey).vkey;
  const witnesses = await startWitnesses(n, { logs: [logVerifierKey], now: clock.seconds, quorum });
  const settings: KtSettings = {
    ...base,
    witnesses: witnesses.urls.map((url, i) => ({ url, vkey: witnesses.vkeys[i]! })),
    witnessQuorum: quorum,
    batchMs: options.batchMs ?? 10,
    heartbeatMs: options.heartbeatMs ?? 60_000,
    settleTimeoutMs: 5000,
    witnessRetryMs: 50,
    witnessTimeoutMs: 2000,
  };
  const store = new SqliteKeyStore(options.storePath ?? ':memory:');
  let services: LocalServices;
  try {
    const extra = options.services ?? {};
    services = await startLocalServices({
      ...extra,
      keyServer: {
        now: clock.now,
        ...extra.keyServer,
        store,
        closeStore: true,
        keyTransparency: settings,
        settings: { ktSearchRateLimit: false, deviceListRateLimit: false, ...extra.keyServer?.settings },
      },
      relay: { now: clock.now, ...extra.relay },
    });
  } catch (e) {
    await witnesses.close();
    await store.close().catch(() => {});
    throw e;
  }
  const log = services.keyServer.keyserver.keyTransparency!;
  const pinned: Omit<KeyTransparencyOptions, 'mode'> = {
    origin: settings.origin,
    logVerifierKey,
    vrfPublicKey: toBase64(vrfPublicKey(settings.vrfSecretKey)),
    witnessPolicy: witnesses.policyText,
    monitorIntervalMs,
    backgroundDelayMs: 0,
  };
  const clients: SealpostClient[] = [];
  const settle = async (timeoutMs = 5000): Promise<void> => {
    await waitFor(async () => log.witnessed >= log.size && log.size > 0 && (await log.store.pending(1)).length === 0, timeoutMs, 'the KT log to be sequenced and witnessed');
  };
  const ktOptions = (mode: KtMode, extra: Partial<KeyTransparencyOptions> = {}): KeyTransparencyOptions => ({ ...pinned, mode, ...extra });
  return {
    services,
    witnesses,
    clock,
    settings,
    store,
    log,
    monitorIntervalMs,
    pinned,
    ktOptions,
    client(mode, extra = {}) {
      const { kt, ...rest } = extra;
      const client = new SealpostClient({
        store: new MemoryStore(),
        keyServerUrl: services.keyServerUrl,
        relayUrl: services.relayUrl,
        trustRoot: services.trustRoot,
        receive: { mode: 'manual' },
        upkeep: { automatic: false },
        receipts: { delivery: false },
        now: clock.now,
        keyTransparency: ktOptions(mode, kt),
        ...rest,
      });
      clients.push(client);
      return client;
    },
    settle,
    async heartbeat() {
      await log.tick();
      await settle();
    },
    async advance(ms: number) {
      clock.advance(ms);
      await log.tick();
      await settle();
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await services.close();
      await witnesses.close();
    },
  };
}
