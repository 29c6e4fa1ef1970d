/**
 * A key server with key transparency for the client's KT tests, over real
 * HTTP: the dev kit's real key server and relay (`useLocalServices`), the
 * dev kit's KT responder (`@sealpost/devkit/kt-responder`: a witnessed log
 * with a fake clock and evil knobs), and in front of both a small HTTP
 * front on 127.0.0.1 that is what the clients call as their key server. It
 * forwards `/v1/kt/*` and `/v1/handles/*` to the responder and everything
 * else to the key server, and plays the key server's KT duties the real one
 * gains on branch h-kt-server: an account created through it has its
 * identity key logged (`POST /v1/accounts`), and `PUT /v1/accounts/me/handle`
 * logs the handle. Insider knobs: hand out a fake bundle for an account
 * (`swapBundles`), corrupt search answers (`corruptSearch`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { startKtResponder, type KtResponder } from '@sealpost/devkit/kt-responder';
import { generateIdentityKeyPair } from '@sealpost/protocol';
import { fromBase64, toBase64 } from '@sealpost/protocol/primitives';
import { generateKyberPreKey, generateSignedPreKey } from '../../src/keys.ts';
import type { KeyTransparencyOptions, KtMode } from '../../src/kt/types.ts';
import type { LocalServicesFixture } from '../support/local-services.ts';

export interface KtWorld {
  readonly responder: KtResponder;
  /** The KT-capable key server's URL (give it as `keyServerUrl`). */
  readonly url: string;
  /** The `keyTransparency` option pinning the responder's log. */
  options(mode: KtMode, extra?: Partial<KeyTransparencyOptions>): KeyTransparencyOptions;
  /** The key server hands out bundles of `account` under a fresh identity key (signed prekeys and all); returns that key. */
  swapBundles(account: string): Uint8Array;
  /** Search answers get one byte of their proof flipped until `corruptSearch(false)`. */
  corruptSearch(on: boolean): void;
  /** Bundle fetches (`GET /v1/keys/...`) seen, by account. */
  bundleFetches(account: string): number;
  /** Ends every knob. */
  reset(): void;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A fake bundle answer for `real` (the key server's JSON) under `identity`. */
function fakeBundle(real: { devices: { deviceId: number; registrationId: number }[] }, identity: ReturnType<typeof generateIdentityKeyPair>) {
  const now = Date.now();
  const json = (k: { keyId: number; publicKey: Uint8Array; signature: Uint8Array }) => ({ keyId: k.keyId, publicKey: toBase64(k.publicKey), signature: toBase64(k.signature) });
  return {
    identityKey: toBase64(identity.publicKey),
    devices: real.devices.map((d) => ({
      deviceId: d.deviceId,
      registrationId: d.registrationId,
      signedPreKey: json(generateSignedPreKey(identity, 77, now).upload),
      pqPreKey: json(generateKyberPreKey(identity, 78, now, true).upload),
    })),
  };
}

/** Registers the world's start-up and shutdown in the calling test file (after `useLocalServices`). */
export function useKtWorld(local: LocalServicesFixture): () => KtWorld {
  let world: KtWorld | undefined;
  let server: Server | undefined;
  let responder: KtResponder | undefined;
  beforeAll(async () => {
    const r = (responder = await startKtResponder());
    r.heartbeat();
    const swapped = new Map<string, ReturnType<typeof generateIdentityKeyPair>>();
    const fetches = new Map<string, number>();
    let corrupt = false;
    server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://front');
        const input = await body(req);
        if (req.method === 'PUT' && url.pathname === '/v1/accounts/me/handle') {
          const basic = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
          r.setHandle((JSON.parse(input.toString('utf8')) as { handle: string }).handle, basic.slice(0, basic.indexOf('.')));
          res.writeHead(204).end();
          return;
        }
        const toResponder = url.pathname.startsWith('/v1/kt/') || url.pathname.startsWith('/v1/handles/');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length' && k !== 'connection') headers[k] = v;
        const answer = await fetch(`${toResponder ? r.url : local.services.keyServerUrl}${url.pathname}${url.search}`, {
          method: req.method ?? 'GET',
          headers,
          ...(input.length === 0 ? {} : { body: new Uint8Array(input) }),
        });
        let out = Buffer.from(await answer.arrayBuffer());
        const keys = /^\/v1\/keys\/([^/]+)\//.exec(url.pathname);
        if (keys !== null) fetches.set(keys[1]!, (fetches.get(keys[1]!) ?? 0) + 1);
        if (answer.ok && req.method === 'POST' && url.pathname === '/v1/accounts') {
          // What the KT key server does at account creation: log the identity key (version 0).
          const { accountId } = JSON.parse(out.toString('utf8')) as { accountId: string };
          r.setIdentityKey(accountId, fromBase64((JSON.parse(input.toString('utf8')) as { identityKey: string }).identityKey));
        } else if (answer.ok && keys !== null && swapped.has(keys[1]!)) {
          out = Buffer.from(JSON.stringify(fakeBundle(JSON.parse(out.toString('utf8')), swapped.get(keys[1]!)!)));
        } else if (answer.ok && corrupt && url.pathname === '/v1/kt/search') {
          const json = JSON.parse(out.toString('utf8')) as { proof: string };
          const proof = fromBase64(json.proof);
          proof[proof.length >> 1]! ^= 0x01;
          out = Buffer.from(JSON.stringify({ ...json, proof: toBase64(proof) }));
        }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(out);
      })().catch((e: unknown) => res.writeHead(502).end(JSON.stringify({ error: { code: 'FRONT', message: String(e) } })));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    world = {
      responder: r,
      url,
      options: (mode, extra = {}) => ({ origin: r.origin, logVerifierKey: r.config.logVerifierKey, vrfPublicKey: r.config.vrfPublicKey, witnessPolicy: r.witnessPolicy, mode, ...extra }),
      swapBundles: (account) => {
        const fake = generateIdentityKeyPair();
        swapped.set(account, fake);
        return fake.publicKey;
      },
      corruptSearch: (on) => void (corrupt = on),
      bundleFetches: (account) => fetches.get(account) ?? 0,
      reset: () => {
        swapped.clear();
        corrupt = false;
        r.evil.reset();
      },
    };
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    await responder?.close();
  });
  return () => {
    if (world === undefined) throw new Error('the KT world is not running (use it inside tests)');
    return world;
  };
}
