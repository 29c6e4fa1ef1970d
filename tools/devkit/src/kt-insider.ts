/**
 * `@sealpost/devkit/kt-insider`: a malicious insider who runs the key server
 * (process and database), against the REAL key server of `startKtServices`.
 * Its moves:
 *
 * - **front** (`insider.url`): a fastify app in front of the key server.
 *   Clients built with `keyServerUrl: insider.url` are the ones the insider
 *   targets; every request is passed to the real key server (`inject`)
 *   unless a move below rewrites it. Other clients and the relay talk to the
 *   key server directly and see the honest answers.
 * - (a) **unlogged swap** `swapBundle(account)`: the front answers bundle
 *   fetches of `account` with an attacker identity key (a complete bundle:
 *   signed prekey and Kyber prekey signed by it, the device and registration
 *   ids kept, so a session can be built) while the log stays honest.
 * - (b) **logged swap** `logIdentity(account, key)`: a new version of the
 *   account label through the server's own KtLog (everyone sees it).
 *   `logHandle(handle, account)` likewise re-points a handle in the log, and
 *   `repointHandle` makes the front's directory answer another account.
 * - (c) **split view** `splitView()`: a second key server over a copy of
 *   the database (its own KtLog, same keys and origin, no witnesses), where
 *   `view.logIdentity` appends a fork entry; `show(view)` makes the front
 *   serve that log's KT routes; `view.submit(url)` offers its checkpoint to
 *   a witness as an add-checkpoint; `view.collude(i)` adds witness i's
 *   cosignature (its secret key) to every checkpoint the front serves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { buildKeyServer, SqliteKeyStore } from '@sealpost/keyserver';
import { accountLabel, ed25519Cosigner, encodeHandleValue, encodeIdentityValue, formatNote, handleLabel, normalizeHandle, parseNote, PrefixTree } from '@sealpost/keytrans';
import { generateIdentityKeyPair, generateKyberPreKey, generateSignedPreKey, type IdentityKeyPair } from '@sealpost/protocol';
import { toBase64, utf8Encode } from '@sealpost/protocol/primitives';
import type { KtLogHandle, KtServices } from './kt-services.ts';

type Injected = Awaited<ReturnType<FastifyInstance['inject']>>;

/** What the log's `enqueue` answers. */
export type KtSettledResult = Awaited<ReturnType<KtLogHandle['enqueue']>>;

/** The answer of one add-checkpoint request. */
export interface WitnessAnswer {
  status: number;
  body: string;
}

/** A second key server over a copy of the database: the log shown to chosen clients. */
export interface SplitView {
  readonly app: FastifyInstance;
  readonly log: KtLogHandle;
  /** The copy's size when it was made (where the two logs part). */
  readonly forkedAt: number;
  /** A fork entry: a new version of `account`'s label holding `identityKey`. */
  logIdentity(account: string, identityKey: Uint8Array): Promise<KtSettledResult>;
  /** A fork entry re-pointing `handle` to `account`. */
  logHandle(handle: string, account: string): Promise<KtSettledResult>;
  /** An empty (heartbeat) entry in the fork, now (the fork never heartbeats by itself). */
  heartbeat(): Promise<void>;
  /** The fork's newest checkpoint note (log signature only). */
  checkpoint(): string;
  /**
   * Offers the fork's newest checkpoint to a witness (C2SP add-checkpoint),
   * from `old` (default: the fork point); a 409 naming another size is
   * retried once from that size, as a log would. Every answer, in order.
   */
  submit(witnessUrl: string, old?: number): Promise<WitnessAnswer[]>;
  /** Witness `i` of the deployment colludes: its cosignature is added to the fork's checkpoints the front serves. */
  collude(i: number): void;
  close(): Promise<void>;
}

export interface KtInsider {
  /** The front's base URL: clients the insider targets use it as their key server. */
  readonly url: string;
  readonly front: FastifyInstance;
  /** (a) The front answers `account`'s bundles with `identity` (default a fresh key pair); returns it. */
  swapBundle(account: string, identity?: IdentityKeyPair): IdentityKeyPair;
  /** The front answers `account`'s real bundles again. */
  restoreBundle(account: string): void;
  /** (b) Logs `identityKey` as a new version of `account`'s label in the real log. */
  logIdentity(account: string, identityKey: Uint8Array): Promise<KtSettledResult>;
  /** (b) Logs `handle → account` as a new version of the handle label in the real log. */
  logHandle(handle: string, account: string): Promise<KtSettledResult>;
  /** The front's directory answers `handle → account` (undefined: the real answer). */
  repointHandle(handle: string, account: string | undefined): void;
  /** (c) A second log over a copy of the database (settle the real log first). */
  splitView(): Promise<SplitView>;
  /** The front serves `view`'s KT routes (undefined: the real log's). */
  show(view: SplitView | undefined): void;
  close(): Promise<void>;
}

const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'accept-encoding', 'date']);

function headersOf(h: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_HEADERS.has(k.toLowerCase())) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

async function pass(target: FastifyInstance, request: FastifyRequest): Promise<Injected> {
  const body = request.body as Buffer | undefined;
  return target.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: headersOf(request.headers),
    ...(body === undefined || body.length === 0 ? {} : { payload: body }),
  });
}

/** Appends a cosignature line of `signer` to a signed note. */
function cosign(note: string, signer: ReturnType<typeof ed25519Cosigner>): string {
  const { text } = parseNote(note);
  const signed = formatNote({ text, signatures: [{ name: signer.name, keyId: signer.keyId, signature: signer.sign(utf8Encode(text)) }] });
  return note + signed.slice(text.length + 1);
}

/** The bundle JSON of the key server with `identity` in place of the real identity key. */
function forgedBundle(real: { identityKey: string; devices: { deviceId: number; registrationId: number }[] }, identity: IdentityKeyPair, now: number) {
  return {
    identityKey: toBase64(identity.publicKey),
    devices: real.devices.map((d, i) => {
      const spk = generateSignedPreKey({ identity, id: 7000 + i, timestamp: now });
      const kpk = generateKyberPreKey({ identity, id: 8000 + i, timestamp: now });
      return {
        deviceId: d.deviceId,
        registrationId: d.registrationId,
        signedPreKey: { keyId: spk.id, publicKey: toBase64(spk.keyPair.publicKey), signature: toBase64(spk.signature) },
        pqPreKey: { keyId: kpk.id, publicKey: toBase64(kpk.keyPair.publicKey), signature: toBase64(kpk.signature) },
      };
    }),
  };
}

export async function startKtInsider(kt: KtServices): Promise<KtInsider> {
  const real = kt.services.keyServer;
  const swapped = new Map<string, IdentityKeyPair>();
  const handles = new Map<string, string>();
  const views: SplitView[] = [];
  let shown: (SplitView & { colluders: Set<number> }) | undefined;
  const front = Fastify({ logger: false });
  front.removeAllContentTypeParsers();
  front.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const send = (reply: { code(n: number): unknown; headers(h: Record<string, string>): unknown; send(b: unknown): unknown }, res: Injected, body?: unknown) => {
    reply.code(res.statusCode);
    reply.headers(headersOf(res.headers as Record<string, string>));
    return reply.send(body === undefined ? res.rawPayload : JSON.stringify(body));
  };

  front.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async (request, reply) => {
      const path = request.url.split('?')[0]!;
      const bundle = request.method === 'GET' ? /^\/v1\/keys\/([^/]+)\/[^/]+$/.exec(path) : null;
      if (bundle !== null && swapped.has(decodeURIComponent(bundle[1]!))) {
        const res = await pass(real, request);
        if (res.statusCode !== 200) return send(reply, res);
        return send(reply, res, forgedBundle(res.json(), swapped.get(decodeURIComponent(bundle[1]!))!, kt.clock.now()));
      }
      const handle = request.method === 'GET' ? /^\/v1\/handles\/([^/]+)$/.exec(path) : null;
      if (handle !== null) {
        let h: string | undefined;
        try {
          h = normalizeHandle(decodeURIComponent(handle[1]!));
        } catch {
          h = undefined;
        }
        const to = h === undefined ? undefined : handles.get(h);
        if (to !== undefined) return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify({ handle: h, accountId: to }));
      }
      const ktRoute = path.startsWith('/v1/kt/') || path.startsWith('/kt/');
      if (ktRoute && shown !== undefined) {
        const view = shown;
        const res = await pass(view.app, request);
        if (view.colluders.size === 0 || res.statusCode !== 200) return send(reply, res);
        const signers = [...view.colluders].map((i) => ed25519Cosigner(kt.witnesses.names[i]!, kt.witnesses.keys[i]!, kt.clock.seconds));
        const withCosigs = (note: string) => signers.reduce(cosign, note);
        if (path === '/v1/kt/search') {
          const answer = res.json() as { checkpoint: string };
          return send(reply, res, { ...answer, checkpoint: withCosigs(answer.checkpoint) });
        }
        if (path === '/kt/checkpoint') return reply.code(200).type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(withCosigs(res.payload));
        return send(reply, res);
      }
      return send(reply, await pass(real, request));
    },
  });
  const url = await front.listen({ host: '127.0.0.1', port: 0 });

  const logUpdate = (log: KtLogHandle, label: Uint8Array, value: Uint8Array) => log.enqueue([{ label, value }]);

  async function splitView(): Promise<SplitView> {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-kt-fork-'));
    const file = join(dir, 'fork.sqlite');
    writeFileSync(file, kt.store.db.serialize());
    const forkedAt = kt.log.size;
    const app = await buildKeyServer({
      store: new SqliteKeyStore(file),
      closeStore: true,
      now: kt.clock.now,
      docs: false,
      senderCertificate: { certificate: kt.services.serverCertificate, privateKey: kt.services.serverPrivateKey },
      relayCredentialKey: kt.services.keys.relayKey,
      // No witnesses (nobody cosigns a fork), and no heartbeats of its own: the fork grows only when the insider says.
      keyTransparency: { ...kt.settings, witnesses: [], witnessQuorum: 0, heartbeatMs: 0x7fffffff },
      settings: { registrationRateLimit: false, bundleRateLimit: false, ktSearchRateLimit: false, deviceListRateLimit: false },
    });
    await app.ready();
    const log = app.keyserver.keyTransparency!;
    const colluders = new Set<number>();
    const view: SplitView & { colluders: Set<number> } = {
      app,
      log,
      forkedAt,
      colluders,
      logIdentity: (account, identityKey) => logUpdate(log, accountLabel(account), encodeIdentityValue(identityKey)),
      logHandle: (h, account) => logUpdate(log, handleLabel(normalizeHandle(h)), encodeHandleValue(account)),
      async heartbeat() {
        // KtLog's own heartbeat step (private: the sequencer normally decides when); an empty entry now.
        await (log as unknown as { sequence(heartbeat: boolean): Promise<void> }).sequence(true);
      },
      checkpoint() {
        const note = log.checkpointNote(log.size);
        if (note === undefined) throw new Error('the fork has no checkpoint');
        return note;
      },
      async submit(witnessUrl, old = forkedAt) {
        const answers: WitnessAnswer[] = [];
        let from = old;
        for (let attempt = 0; attempt < 2; attempt++) {
          const size = log.size;
          const proof = from > 0 && from < size ? log.consistency(from, size).map((h) => `${toBase64(h)}\n`) : [];
          const res = await fetch(`${witnessUrl}/add-checkpoint`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain; charset=utf-8' },
            body: `old ${from}\n${proof.join('')}\n${view.checkpoint()}`,
          });
          const body = await res.text();
          answers.push({ status: res.status, body });
          if (res.status !== 409 || !/^\d+\n?$/.test(body) || Number(body.trim()) === from || Number(body.trim()) > size) break;
          from = Number(body.trim());
        }
        return answers;
      },
      collude(i) {
        if (kt.witnesses.keys[i] === undefined) throw new RangeError(`no witness ${i}`);
        colluders.add(i);
      },
      async close() {
        if (shown === view) shown = undefined;
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    views.push(view);
    return view;
  }

  return {
    url,
    front,
    swapBundle(account, identity = generateIdentityKeyPair()) {
      swapped.set(account, identity);
      return identity;
    },
    restoreBundle(account) {
      swapped.delete(account);
    },
    logIdentity: (account, identityKey) => logUpdate(kt.log, accountLabel(account), encodeIdentityValue(identityKey)),
    logHandle: (h, account) => logUpdate(kt.log, handleLabel(normalizeHandle(h)), encodeHandleValue(account)),
    repointHandle(h, account) {
      const n = normalizeHandle(h);
      if (account === undefined) handles.delete(n);
      else handles.set(n, account);
    },
    splitView,
    show(view) {
      shown = view as (SplitView & { colluders: Set<number> }) | undefined;
    },
    async close() {
      shown = undefined;
      for (const v of views) await v.close().catch(() => {});
      await front.close();
    },
  };
}

/**
 * (d) **show-then-hide** `hideVersion(kt, label, version)`: the insider
 * takes a version that was logged (and shown) out of every LATER prefix
 * tree of the real log. It deletes the version's `kt_versions` row (so
 * searches answer the label's previous version as its greatest, and prove
 * the hidden version's search key absent), rebuilds the sequencer's
 * in-memory prefix tree from the remaining rows (the tree the next entry
 * commits to; the LogIndex keeps no delete, so its private `latest` is
 * replaced), and writes an empty entry from it now. The log tree only
 * grows — the earlier entries, the one that showed the version included,
 * stay as they are — so the honest witnesses cosign the next checkpoint:
 * only the prefix trees lie. Resolves with the new log size (call
 * `kt.settle()` to wait for the witnesses). Settle the log first.
 */
export async function hideVersion(kt: KtServices, label: Uint8Array, version: number): Promise<number> {
  const log = kt.log;
  // A batch in flight would build its entry from the tree it started with: let it finish first.
  const inner = log as unknown as { running?: Promise<void>; sequence(heartbeat: boolean): Promise<void> };
  while (inner.running !== undefined) await inner.running;
  const row = await log.store.version(label, version);
  if (row === undefined) throw new Error(`no version ${version} of that label to hide`);
  if ((await log.store.versionCount(label)) !== version + 1) throw new Error('only the greatest version of a label can be hidden');
  kt.store.db.prepare('DELETE FROM kt_versions WHERE label = ? AND version = ?').run(label, version);
  const leaves = await log.store.leaves();
  const tree = PrefixTree.fromEntries(leaves.map((l) => ({ key: l.searchKey, commitment: l.commitment })));
  (log.index as unknown as { latest: PrefixTree }).latest = tree;
  // KtLog's own heartbeat step (private: the sequencer normally decides when): an entry committing to the rebuilt tree.
  await inner.sequence(true);
  const newest = log.index.entries[log.size - 1]!;
  if (!Buffer.from(newest.prefixRoot).equals(Buffer.from(tree.root))) throw new Error('the sequencer did not commit to the rebuilt prefix tree');
  return log.size;
}

/** One recorded `POST /v1/kt/search` answer of the real key server. */
export interface RecordedSearch {
  /** The label searched (base64, as in the request). */
  label: string;
  /** The answer's checkpoint size. */
  size: number;
  /** The answer JSON. */
  answer: { checkpoint: string; proof: string; consistency: unknown[] };
}

/** (e) A front that records the real search answers and can serve old ones again: a frozen or rolled-back view. */
export interface KtReplayFront {
  readonly url: string;
  /** Every 200 answer to a search so far, oldest first. */
  readonly recorded: readonly RecordedSearch[];
  /**
   * From now on, searches of `answer.label` get `answer` again (its
   * consistency proofs dropped: the insider has none that fits a newer
   * request, and none is needed from a size equal to or above its own).
   * Undefined: the real answers again.
   */
  replay(label: string, answer: RecordedSearch | undefined): void;
  /** Freezes every label on its newest recorded answer (the server's view stops moving). */
  freeze(): void;
  /** The real answers again, for every label. */
  thaw(): void;
  close(): Promise<void>;
}

/**
 * `startKtReplay(kt)`: a fastify front like the insider's, passing every
 * request to the real key server, recording the KT search answers; what
 * `replay` / `freeze` set is served instead (status 200, the old JSON).
 * Clients built with `keyServerUrl: front.url` see it.
 */
export async function startKtReplay(kt: KtServices): Promise<KtReplayFront> {
  const real = kt.services.keyServer;
  const recorded: RecordedSearch[] = [];
  const replaying = new Map<string, RecordedSearch>();
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/*',
    handler: async (request, reply) => {
      const search = request.method === 'POST' && request.url.split('?')[0] === '/v1/kt/search';
      let label: string | undefined;
      if (search) {
        try {
          label = (JSON.parse((request.body as Buffer).toString('utf8')) as { label?: string }).label;
        } catch {
          label = undefined;
        }
        const old = label === undefined ? undefined : replaying.get(label);
        if (old !== undefined) return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify({ ...old.answer, consistency: [] }));
      }
      const res = await pass(real, request);
      if (search && label !== undefined && res.statusCode === 200) {
        const answer = res.json() as RecordedSearch['answer'];
        recorded.push({ label, size: Number(parseNote(answer.checkpoint).text.split('\n')[1]), answer });
      }
      reply.code(res.statusCode);
      reply.headers(headersOf(res.headers as Record<string, string>));
      return reply.send(res.rawPayload);
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    recorded,
    replay(l, answer) {
      if (answer === undefined) replaying.delete(l);
      else replaying.set(l, answer);
    },
    freeze() {
      for (const r of recorded) replaying.set(r.label, r);
    },
    thaw() {
      replaying.clear();
    },
    close: () => app.close(),
  };
}
