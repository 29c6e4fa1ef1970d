/**
 * A key-transparency responder for tests (`@sealpost/devkit/kt-responder`):
 * fastify on 127.0.0.1 serving exactly @sealpost/keytrans's wire.ts API
 *
 *   GET  /v1/kt/config        → KtConfigJson
 *   POST /v1/kt/search        KtSearchRequestJson → KtSearchResponseJson (404 KT_LABEL_NOT_LOGGED)
 *   GET  /v1/handles/:handle  → HandleLookupJson (404 UNKNOWN_HANDLE)
 *
 * over a KtTestLog and three in-process cosigners (policy 2-of-3), with a
 * fake clock (`clock`) for entry and cosignature times, and "evil" knobs:
 * a logged swap, a split view cosigned by chosen witnesses only, a frozen
 * or rolled-back head, a version dropped from later trees, a directory
 * answer that names another account. Keys are random per responder.
 */
import {
  type KtConfigJson,
  type KtConsistencyJson,
  type KtPinnedOptions,
  type KtSearchRequestJson,
  type KtSearchResponseJson,
  type LabelUpdate,
  type NoteSigner,
  KT_ERROR_CODES,
  accountLabel,
  addNoteSignatures,
  ed25519Cosigner,
  ed25519NoteSigner,
  encodeHandleValue,
  encodeIdentityValue,
  encodeSearchProof,
  handleLabel,
  normalizeHandle,
  signCheckpoint,
  vrfPublicKey,
} from '@sealpost/keytrans';
import { fromBase64, randomBytes, toBase64, toHex } from '@sealpost/protocol/primitives';
import Fastify, { type FastifyInstance } from 'fastify';
import { KtTestLog } from './kt-log.ts';

export { KtTestLog } from './kt-log.ts';

export interface KtResponderOptions {
  /** Start time of the fake clock (ms); default Date.now(). */
  startMs?: number;
  /** Witness names (default w1.example, w2.example, w3.example) and the quorum k (default 2). */
  witnesses?: readonly string[];
  quorum?: number;
  origin?: string;
  /** The tolerance windows put into config and pinnedOptions (defaults: 5 min ahead, 1 h behind, 1 h witness lag). */
  maxAheadMs?: number;
  maxBehindMs?: number;
  maxWitnessLagMs?: number;
}

export interface KtFork {
  /** Which search requests the second log answers (e.g. by label). */
  select: (request: KtSearchRequestJson) => boolean;
  /** The second log's own entry, appended after the shared prefix. */
  updates: readonly LabelUpdate[];
  /** The witnesses that cosign the second log's checkpoint (default: none). */
  witnesses?: readonly string[];
}

export interface KtResponder {
  readonly url: string;
  readonly origin: string;
  readonly config: KtConfigJson;
  /** tlog-policy text: the log and the witnesses, quorum k of n. */
  readonly witnessPolicy: string;
  readonly witnessNames: readonly string[];
  /** For ktPinned(...) (add your own windows). */
  readonly pinnedOptions: KtPinnedOptions;
  /** The honest log. */
  readonly log: KtTestLog;
  readonly clock: { now(): number; set(ms: number): void; advance(ms: number): void };
  /** Every search request received, in order. */
  readonly requests: KtSearchRequestJson[];
  /** Sequences one batch (one entry) into the honest log, cosigned by every witness; returns each update's version. */
  update(updates: readonly LabelUpdate[]): number[];
  /** Logs an account's identity key (a new version); returns it. */
  setIdentityKey(accountId: string, identityKey: Uint8Array): number;
  /** Logs a handle → account and makes GET /v1/handles/:handle answer it; returns the version. */
  setHandle(handle: string, accountId: string): number;
  /** An entry without updates (the sequencer's heartbeat). */
  heartbeat(): void;
  readonly evil: {
    /** A new version of `label` with `value` in the honest log (a logged key swap every witness cosigns). */
    loggedSwap(label: Uint8Array, value: Uint8Array): number;
    /** Serves selected requests from a second log (the honest one now + `updates`), cosigned by `witnesses` only. */
    fork(fork: KtFork): void;
    /** Serves the checkpoint of this size (default: the current one) to every request until unfreeze. */
    freeze(size?: number): void;
    unfreeze(): void;
    /** Drops `version` (and later) of `label` from the honest log's next trees; appends that entry now. */
    hide(label: Uint8Array, version: number): void;
    /** GET /v1/handles/:handle answers `accountId` without logging it (an unlogged directory swap). */
    misdirectHandle(handle: string, accountId: string): void;
    /** Undo fork, freeze and misdirections. */
    reset(): void;
  };
  close(): Promise<void>;
}

interface Served {
  log: KtTestLog;
  notes: Map<number, string>;
  size: number;
}

/** Starts a responder on 127.0.0.1 (random port). */
export async function startKtResponder(options: KtResponderOptions = {}): Promise<KtResponder> {
  let nowMs = options.startMs ?? Date.now();
  const clock = { now: () => nowMs, set: (ms: number) => void (nowMs = ms), advance: (ms: number) => void (nowMs += ms) };
  const origin = options.origin ?? `127.0.0.1/sealpost-kt/${toHex(randomBytes(8))}`;
  const names = options.witnesses ?? ['w1.example', 'w2.example', 'w3.example'];
  const quorum = options.quorum ?? 2;
  const vrfSecret = randomBytes(32);
  const logSigner = ed25519NoteSigner(origin, randomBytes(32));
  const cosigners = new Map(names.map((n) => [n, ed25519Cosigner(n, randomBytes(32), () => Math.floor(nowMs / 1000))]));
  const witnessPolicy = [`log ${logSigner.vkey}`, ...names.map((n) => `witness ${n} ${cosigners.get(n)!.vkey}`), `group quorum-group ${quorum} ${names.join(' ')}`, 'quorum quorum-group', ''].join('\n');
  const windows = { maxAheadMs: options.maxAheadMs ?? 5 * 60_000, maxBehindMs: options.maxBehindMs ?? 60 * 60_000, maxWitnessLagMs: options.maxWitnessLagMs ?? 60 * 60_000 };
  const config: KtConfigJson = { origin, logVerifierKey: logSigner.vkey, vrfPublicKey: toBase64(vrfPublicKey(vrfSecret)), maxAheadMs: windows.maxAheadMs, maxBehindMs: windows.maxBehindMs };

  const honest: Served = { log: new KtTestLog(vrfSecret), notes: new Map(), size: 0 };
  let fork: { select: KtFork['select']; served: Served } | undefined;
  let frozen: number | undefined;
  const handles = new Map<string, string>();
  const misdirected = new Map<string, string>();
  const requests: KtSearchRequestJson[] = [];

  const sign = (served: Served, witnesses: readonly string[]): void => {
    const note = signCheckpoint(served.log.checkpoint(origin), logSigner);
    const signers: NoteSigner[] = witnesses.map((w) => cosigners.get(w)!).filter((c) => c !== undefined);
    served.size = served.log.size;
    served.notes.set(served.size, signers.length === 0 ? note : addNoteSignatures(note, signers));
  };
  const update = (updates: readonly LabelUpdate[]): number[] => {
    const versions = honest.log.update(updates, nowMs);
    sign(honest, names);
    return versions;
  };

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16_384, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } } });
  const fail = (code: string, message: string) => ({ error: { code, message } });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(status).send(fail(status === 500 ? 'INTERNAL' : 'BAD_REQUEST', status === 500 ? 'internal error' : err.message));
  });
  app.get('/v1/kt/config', async () => config);
  app.post(
    '/v1/kt/search',
    {
      schema: {
        body: {
          type: 'object',
          required: ['label'],
          additionalProperties: false,
          properties: {
            label: { type: 'string', minLength: 4, maxLength: 400 },
            last: { type: 'integer', minimum: 1, maximum: 2 ** 48 },
            pending: { type: 'array', maxItems: 16, items: { type: 'integer', minimum: 1, maximum: 2 ** 48 } },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as KtSearchRequestJson;
      requests.push(structuredClone(body));
      let label: Uint8Array;
      try {
        label = fromBase64(body.label, 'label');
      } catch {
        return reply.code(400).send(fail('BAD_REQUEST', 'label is not base64'));
      }
      const served = fork !== undefined && fork.select(body) ? fork.served : honest;
      const size = frozen !== undefined && served === honest ? frozen : served.size;
      if (size === 0 || served.log.greatestVersion(label, size) === undefined) return reply.code(404).send(fail(KT_ERROR_CODES.labelNotLogged, 'the label has no version in the proven checkpoint'));
      const consistency: KtConsistencyJson[] = [];
      for (const from of new Set([...(body.last === undefined ? [] : [body.last]), ...(body.pending ?? [])])) {
        if (from <= size) consistency.push({ from, proof: served.log.consistency(from, size).map((h) => toBase64(h)) });
      }
      const answer: KtSearchResponseJson = { checkpoint: served.notes.get(size)!, proof: toBase64(encodeSearchProof(served.log.searchProof(label, size))), consistency };
      return answer;
    },
  );
  app.get('/v1/handles/:handle', async (req, reply) => {
    let handle: string;
    try {
      handle = normalizeHandle((req.params as { handle: string }).handle);
    } catch {
      return reply.code(400).send(fail('BAD_REQUEST', 'not a handle'));
    }
    const accountId = misdirected.get(handle) ?? handles.get(handle);
    if (accountId === undefined) return reply.code(404).send(fail(KT_ERROR_CODES.unknownHandle, 'no handle by that name'));
    return { handle, accountId };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    origin,
    config,
    witnessPolicy,
    witnessNames: names,
    pinnedOptions: { origin, logVerifierKey: logSigner.vkey, vrfPublicKey: vrfPublicKey(vrfSecret), witnessPolicy, ...windows },
    log: honest.log,
    clock,
    requests,
    update,
    setIdentityKey: (accountId, identityKey) => update([{ label: accountLabel(accountId), value: encodeIdentityValue(identityKey) }])[0]!,
    setHandle: (handle, accountId) => {
      const version = update([{ label: handleLabel(handle), value: encodeHandleValue(accountId) }])[0]!;
      handles.set(normalizeHandle(handle), accountId);
      return version;
    },
    heartbeat: () => void update([]),
    evil: {
      loggedSwap: (label, value) => update([{ label, value }])[0]!,
      fork: ({ select, updates, witnesses = [] }) => {
        const served: Served = { log: honest.log.fork(), notes: new Map(honest.notes), size: honest.size };
        served.log.update(updates, nowMs);
        sign(served, witnesses);
        fork = { select, served };
      },
      freeze: (size = honest.size) => void (frozen = size),
      unfreeze: () => void (frozen = undefined),
      hide: (label, version) => {
        honest.log.hide(label, version, nowMs);
        sign(honest, names);
      },
      misdirectHandle: (handle, accountId) => void misdirected.set(normalizeHandle(handle), accountId),
      reset: () => {
        fork = undefined;
        frozen = undefined;
        misdirected.clear();
      },
    },
    close: () => app.close(),
  };
}
