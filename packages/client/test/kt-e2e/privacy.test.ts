/**
 * Key transparency end to end: privacy. Several accounts (one with a
 * handle) registered on the real key server over a SQLite FILE; then every
 * account id — raw 16 bytes, lowercase hex, UUID text — is looked for in:
 *
 * - every row of every kt_* table except kt_versions, cell by cell
 *   (kt_entries, kt_checkpoints, kt_vrf_next, kt_pending);
 * - the database file and its -wal as they are on disk while the server
 *   runs (the WAL frames' pages attributed with the frame headers), then the
 *   file again after a WAL checkpoint: each hit is mapped to its page and
 *   the page to its table or index (SQLite's dbstat); only the non-KT
 *   tables (accounts, devices, prekeys…), kt_versions, handles (the
 *   directory itself) and their indexes may hold one — a hit in a free page
 *   or any other table fails;
 * - every hash tile and entry bundle the server serves over HTTP
 *   (tile/<L>/<N>[.p/<W>] for every level, tile/entries/…), and
 *   /kt/checkpoint;
 * - the key server's pino output for the whole run (trace level).
 * And `POST /v1/kt/search` answers without any credential.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { accountLabel, handleLabel } from '@sealpost/keytrans';
import { toBase64 } from '@sealpost/protocol/primitives';
import { startKtServices, type KtServices } from '@sealpost/devkit/kt-services';

interface Needle {
  account: string;
  form: string;
  bytes: Buffer;
}

function needlesOf(accounts: readonly string[]): Needle[] {
  return accounts.flatMap((a) => {
    const raw = Buffer.from(a.replace(/-/g, ''), 'hex');
    expect(raw.length).toBe(16);
    return [
      { account: a, form: 'raw', bytes: raw },
      { account: a, form: 'hex', bytes: Buffer.from(raw.toString('hex')) },
      { account: a, form: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase()) },
      { account: a, form: 'uuid', bytes: Buffer.from(a.toLowerCase()) },
      { account: a, form: 'UUID', bytes: Buffer.from(a.toUpperCase()) },
    ];
  });
}

/** Every offset of every needle in `hay`. */
function hits(hay: Buffer, needles: readonly Needle[]): { needle: Needle; offset: number }[] {
  const out: { needle: Needle; offset: number }[] = [];
  for (const needle of needles) for (let i = hay.indexOf(needle.bytes); i !== -1; i = hay.indexOf(needle.bytes, i + 1)) out.push({ needle, offset: i });
  return out;
}

/** The hits, short: `form@offset: the text around it`. */
const brief = (hay: Buffer, found: { needle: Needle; offset: number }[]): string[] =>
  found.map((h) => `${h.needle.form}@${h.offset}: ${hay.subarray(Math.max(0, h.offset - 80), h.offset + 60).toString('latin1')}`);

describe('key transparency e2e: privacy of the log and the database', () => {
  let kt: KtServices | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await kt?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    kt = dir = undefined;
  });

  it('account ids appear only in kt_versions (and the non-KT tables), never in tiles, entry bundles, the checkpoint or the logs; search needs no credential', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealpost-kt-privacy-'));
    const file = join(dir, 'keys.sqlite');
    const logLines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    kt = await startKtServices({ storePath: file, services: { keyServer: { logger: { level: 'trace', stream } as never } } });
    const clients = [0, 1, 2, 3].map(() => kt!.client('enforce'));
    for (const c of clients) await c.register();
    expect(await clients[0]!.claimHandle('@Alice')).toBe('alice');
    await kt.settle();
    // One more version for clients[1] (a second registration of its label would be a new version: log it directly).
    await kt.log.enqueue([{ label: accountLabel(clients[1]!.address.account), value: (await kt.log.store.greatestVersion(accountLabel(clients[1]!.address.account), Number.MAX_SAFE_INTEGER))!.value }]);
    await kt.advance(kt.settings.heartbeatMs!);
    const accounts = clients.map((c) => c.address.account);
    const needles = needlesOf(accounts);

    // Search needs no credential: a bare POST for every label, and the handle's.
    const searchLogFrom = logLines.length;
    const base = kt.services.keyServerUrl;
    for (const label of [...accounts.map(accountLabel), handleLabel('alice')]) {
      const res = await fetch(`${base}/v1/kt/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: toBase64(label) }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { checkpoint: string }).checkpoint).toMatch(/^keys\.sealpost\.test\/sealpost-kt\//);
    }

    // (1) The KT tables other than kt_versions, every cell.
    const db = kt.store.db;
    const ktTables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'kt\\_%' ESCAPE '\\'").pluck().all() as string[]).sort();
    expect(ktTables).toEqual(['kt_checkpoints', 'kt_entries', 'kt_pending', 'kt_versions', 'kt_vrf_next']);
    const cellCounts: Record<string, number> = {};
    for (const table of ktTables.filter((t) => t !== 'kt_versions')) {
      const rows = db.prepare(`SELECT * FROM ${table}`).raw().all() as unknown[][];
      cellCounts[table] = rows.length;
      for (const row of rows) for (const cell of row) {
        const bytes = cell instanceof Uint8Array ? Buffer.from(cell) : Buffer.from(String(cell));
        expect(hits(bytes, needles), `${table}`).toEqual([]);
      }
    }
    expect(cellCounts.kt_entries).toBe(kt.log.size);
    expect(cellCounts.kt_checkpoints).toBeGreaterThan(0);
    // kt_versions does hold them (labels and the handle's value): the needles would be found where they are.
    const versionBytes = Buffer.concat((db.prepare('SELECT label, value FROM kt_versions').raw().all() as Uint8Array[][]).flat().map((b) => Buffer.from(b)));
    expect(new Set(hits(versionBytes, needles).filter((h) => h.needle.form === 'raw').map((h) => h.needle.account))).toEqual(new Set(accounts));

    // (2) The file and its WAL on disk, then the file after a checkpoint; every hit attributed to a table or index.
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const owner = (page: number): string => {
      // The table a page belongs to (an index's page: its table; dbstat knows every page in use).
      const row = db.prepare('SELECT m.tbl_name AS name FROM dbstat s JOIN sqlite_master m ON m.name = s.name WHERE s.pageno = ?').get(page) as { name: string } | undefined;
      return row?.name ?? `free page ${page}`;
    };
    const wal = `${file}-wal`;
    const walPages: number[] = [];
    if (existsSync(wal)) {
      const w = readFileSync(wal);
      const frame = 24 + pageSize;
      for (const h of hits(w, needles)) {
        if (h.offset < 32) throw new Error('an account id in the WAL header');
        const f = Math.floor((h.offset - 32) / frame);
        walPages.push(w.readUInt32BE(32 + f * frame));
      }
    }
    const before = hits(readFileSync(file), needles).map((h) => Math.floor(h.offset / pageSize) + 1);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const after = hits(readFileSync(file), needles).map((h) => Math.floor(h.offset / pageSize) + 1);
    expect(after.length).toBeGreaterThan(0);
    const where: Record<'wal' | 'fileBefore' | 'fileAfter', Record<string, number>> = { wal: {}, fileBefore: {}, fileAfter: {} };
    for (const [k, pages] of [['wal', walPages], ['fileBefore', before], ['fileAfter', after]] as const) {
      for (const page of pages) where[k][owner(page)] = (where[k][owner(page)] ?? 0) + 1;
    }
    // Allowed: the non-KT tables (accounts, devices, prekeys…, handles: the directory) and kt_versions, with their indexes.
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    const allowed = (name: string) => tables.has(name) && (!name.startsWith('kt_') || name === 'kt_versions');
    const places = JSON.stringify(where);
    // The checkpointed file: only the allowed tables (secure_delete zeroes the kt_pending rows the sequencer deleted).
    expect(Object.keys(where.fileAfter).filter((n) => !allowed(n)), places).toEqual([]);
    expect(Object.keys(where.fileBefore).filter((n) => !allowed(n)), places).toEqual([]);
    // The WAL keeps every page image written since it was last reset, so it also holds the kt_pending page as it was
    // while those updates waited for the sequencer (by design: a pending row lives until it is logged); the
    // checkpoint above truncated it.
    expect(Object.keys(where.wal).filter((n) => !allowed(n) && n !== 'kt_pending'), places).toEqual([]);
    expect(existsSync(wal) ? readFileSync(wal).length : 0).toBe(0);
    const placesSeen = new Set([...Object.keys(where.fileAfter), ...Object.keys(where.wal)]);
    expect(placesSeen).toContain('kt_versions');

    // (3) Everything the log serves: /kt/checkpoint, every hash tile of every level and every entry bundle.
    const size = kt.log.size;
    const served: Buffer[] = [Buffer.from(await (await fetch(`${base}/kt/checkpoint`)).text())];
    const tileName = (n: number) => (n === 0 ? '000' : String(n).padStart(3, '0'));
    for (let level = 0, width = size; width > 0; level++, width = Math.floor(width / 256)) {
      const full = Math.floor(width / 256);
      for (let n = 0; n < full; n++) served.push(Buffer.from(await (await fetch(`${base}/kt/tile/${level}/${tileName(n)}`)).arrayBuffer()));
      if (width % 256 !== 0) {
        const res = await fetch(`${base}/kt/tile/${level}/${tileName(full)}.p/${width % 256}`);
        expect(res.status).toBe(200);
        served.push(Buffer.from(await res.arrayBuffer()));
      }
      if (level === 0) {
        const res = await fetch(`${base}/kt/tile/entries/${tileName(full)}.p/${size % 256}`);
        expect(res.status).toBe(200);
        const bundle = Buffer.from(await res.arrayBuffer());
        expect(bundle.length).toBe((size % 256) * 42);
        served.push(bundle);
      }
    }
    expect(served.length).toBeGreaterThanOrEqual(3);
    for (const bytes of served) expect(brief(bytes, hits(bytes, needles))).toEqual([]);

    // (4) The key server's logs. From the searches on: their request lines, and no account id or label in any form.
    const log = Buffer.from(logLines.slice(searchLogFrom).join(''));
    expect(logLines.slice(searchLogFrom).filter((l) => l.includes('"route":"/v1/kt/search"')).length).toBe(accounts.length + 1);
    expect(brief(log, hits(log, needles))).toEqual([]);
    // The whole run: the only account ids are the account route's own "account created" lines (not KT's).
    const all = Buffer.from(logLines.join(''));
    const lines = logLines.filter((l) => hits(Buffer.from(l), needles).length > 0);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(accounts.map(() => 'account created'));
    expect(hits(all, needles).every((h) => h.needle.form === 'uuid')).toBe(true);
    const labelForms = [...accounts.map(accountLabel), handleLabel('alice')].flatMap((l) => [toBase64(l), Buffer.from(l).toString('hex')]);
    for (const form of labelForms) expect(log.includes(form)).toBe(false);
    expect(log.includes('alice')).toBe(false);
  });
});
