/**
 * Key transparency over HTTP, the directory side: handles (claimed once,
 * logged as handleLabel → account id, verified by a search), C2SP tiles and
 * entry bundles that rebuild the checkpoint's RFC 6962 root, and privacy —
 * no account id, raw or as text, in any kt_* table but kt_versions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  accountLabel,
  decodeHandleValue,
  decodeLogEntry,
  handleLabel,
  hashLeaf,
  ed25519NoteVerifier,
  openCheckpoint,
  rootOfLeafHashes,
  uuidBytes,
  verifySearchProof,
  vrfPublicKey,
} from '@sealpost/keytrans';
import { call, createAccount, linkDevice, startServer, type RunningServer } from './support.ts';
import { ktSettings, logVkey, search } from './kt-support.ts';

async function bytes(server: { url: string }, path: string): Promise<{ status: number; body: Uint8Array; type: string | null }> {
  const res = await fetch(server.url + path);
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

describe('key transparency directory (HTTP)', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(settings: Parameters<typeof startServer>[0] = {}) {
    const kt = ktSettings();
    server = await startServer({ keyTransparency: kt, ...settings });
    return kt;
  }

  it('rate limits unauthenticated KT reads per client address (429 with Retry-After)', async () => {
    await start({ settings: { ktSearchRateLimit: { burst: 2, refillMs: 60_000 } } });
    const a = await createAccount(server!);
    expect((await search(server!, accountLabel(a.accountId))).status).toBe(200);
    expect((await call(server!, 'GET', '/v1/handles/nobody')).status).toBe(404);
    const limited = await search(server!, accountLabel(a.accountId));
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('handles: claimed once per account, logged as handle → account id, looked up and verified', async () => {
    const kt = await start();
    const bob = await createAccount(server!);
    const eve = await createAccount(server!);
    expect((await call(server!, 'PUT', '/v1/accounts/me/handle', { auth: bob.auth, body: { handle: '@Bob.Smith' } })).status).toBe(204);
    const lookup = await call(server!, 'GET', '/v1/handles/@BOB.smith');
    expect(lookup.status).toBe(200);
    expect(lookup.body).toEqual({ handle: 'bob.smith', accountId: bob.accountId });
    const res = await search(server!, handleLabel('bob.smith'));
    expect(res.status).toBe(200);
    const { checkpoint } = openCheckpoint(res.body.checkpoint, [ed25519NoteVerifier(logVkey(kt))]);
    const found = verifySearchProof({ checkpoint, vrfPublicKey: vrfPublicKey(kt.vrfSecretKey), label: handleLabel('bob.smith'), proof: Buffer.from(res.body.proof, 'base64'), now: Date.now() });
    expect(decodeHandleValue(found.value)).toBe(bob.accountId);
    // The same handle again is a no-op; another one, or someone else's, is refused.
    expect((await call(server!, 'PUT', '/v1/accounts/me/handle', { auth: bob.auth, body: { handle: 'bob.smith' } })).status).toBe(204);
    const other = await call(server!, 'PUT', '/v1/accounts/me/handle', { auth: bob.auth, body: { handle: 'robert' } });
    expect([other.status, other.body.error.code]).toEqual([409, 'HANDLE_ALREADY_SET']);
    const taken = await call(server!, 'PUT', '/v1/accounts/me/handle', { auth: eve.auth, body: { handle: 'BOB.SMITH' } });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'HANDLE_TAKEN']);
    const bad = await call(server!, 'PUT', '/v1/accounts/me/handle', { auth: eve.auth, body: { handle: '.eve' } });
    expect(bad.status).toBe(400);
    const linked = await linkDevice(server!, eve);
    expect((await call(server!, 'PUT', '/v1/accounts/me/handle', { auth: linked.auth, body: { handle: 'eve' } })).status).toBe(403);
    expect((await call(server!, 'PUT', '/v1/accounts/me/handle', { body: { handle: 'eve' } })).status).toBe(401);
    const missing = await call(server!, 'GET', '/v1/handles/nobody');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'UNKNOWN_HANDLE']);
    // Exactly one version of the handle label was logged.
    expect(await server!.sql.count('SELECT COUNT(*) FROM kt_versions WHERE label = ?', [Buffer.from(handleLabel('bob.smith'))])).toBe(1);
  });

  it('tiles and entry bundles rebuild the checkpoint root (C2SP tlog-tiles)', async () => {
    const kt = await start();
    for (let i = 0; i < 3; i++) await createAccount(server!);
    const cpRes = await call(server!, 'GET', '/kt/checkpoint');
    expect(cpRes.status).toBe(200);
    expect(cpRes.headers.get('content-type')).toMatch(/^text\/plain/);
    const { checkpoint } = openCheckpoint(cpRes.body as string, [ed25519NoteVerifier(logVkey(kt))], { origin: kt.origin });
    const n = checkpoint.size;
    const bundle = await bytes(server!, `/kt/tile/entries/000.p/${n}`);
    expect(bundle.status).toBe(200);
    expect(bundle.type).toBe('application/octet-stream');
    expect(bundle.body.length).toBe(42 * n);
    const leafHashes: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      expect([bundle.body[42 * i], bundle.body[42 * i + 1]]).toEqual([0, 40]);
      const entry = bundle.body.slice(42 * i + 2, 42 * i + 42);
      decodeLogEntry(entry);
      leafHashes.push(hashLeaf(entry));
    }
    expect(rootOfLeafHashes(leafHashes)).toEqual(checkpoint.rootHash);
    const tile = await bytes(server!, `/kt/tile/0/000.p/${n}`);
    expect(tile.body).toEqual(Uint8Array.from(leafHashes.flatMap((h) => [...h])));
    // Tiles the log does not have, and paths that are not canonical.
    for (const path of [`/kt/tile/0/000.p/${n + 1}`, '/kt/tile/0/000', '/kt/tile/1/000.p/1', '/kt/tile/0/00', '/kt/tile/0/x000/000.p/1', '/kt/tile/64/000', '/kt/tile/0/000.p/0']) {
      expect((await bytes(server!, path)).status, path).toBe(404);
    }
  });

  it('no account id (16 raw bytes, hex or UUID text) in any kt_* table but kt_versions', async () => {
    await start();
    const accounts = [await createAccount(server!), await createAccount(server!), await createAccount(server!)];
    expect((await call(server!, 'PUT', '/v1/accounts/me/handle', { auth: accounts[0]!.auth, body: { handle: 'alice' } })).status).toBe(204);
    for (const a of accounts) expect((await search(server!, accountLabel(a.accountId))).status).toBe(200);
    const sql = server!.sql;
    const tableList =
      sql.backend === 'sqlite'
        ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'kt\\_%' ESCAPE '\\' AND name != 'kt_versions'"
        : "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'kt\\_%' AND tablename != 'kt_versions'";
    const tables = (await sql.rows(tableList)).map((r) => r.name as string);
    expect(tables.sort()).toEqual(['kt_checkpoints', 'kt_entries', 'kt_pending', 'kt_vrf_next']);
    const cells: unknown[] = [];
    for (const t of tables) for (const row of await sql.rows(`SELECT * FROM ${t}`)) cells.push(...Object.values(row));
    const dump = cells.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : String(v))).join('|');
    // The searches cached their next-version VRF proofs (keyed by VRF outputs, not labels).
    expect(await server!.sql.count('SELECT COUNT(*) FROM kt_vrf_next')).toBe(3);
    for (const a of accounts) {
      expect(dump).not.toContain(a.accountId);
      expect(dump).not.toContain(Buffer.from(uuidBytes(a.accountId)).toString('hex'));
    }
    // The value table does hold them (the handle's value is its account id).
    expect(await server!.sql.count('SELECT COUNT(*) FROM kt_versions')).toBe(4);
  });
});
