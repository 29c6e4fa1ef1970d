// SQLite-wasm (3.41.2) on OPFS in a dedicated worker, for the browser-store
// measurement (bench.ts). Served next to the package's sqlite3.mjs; runs one
// statement (or a batch) per message, as a ClientStore over a worker would.
import sqlite3InitModule from '/sqlite3.mjs';

let db;
const t0 = performance.now();
const ready = sqlite3InitModule({ print: () => {}, printErr: () => {} }).then((sqlite3) => {
  if (!sqlite3.oo1.OpfsDb) throw new Error('OPFS VFS unavailable (needs cross-origin isolation and a worker)');
  db = new sqlite3.oo1.OpfsDb('/bench.sqlite3', 'c');
  db.exec('PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;');
  db.exec(`CREATE TABLE IF NOT EXISTS sessions (account TEXT, device INTEGER, record BLOB, PRIMARY KEY (account, device));
    CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, peer TEXT, content BLOB, envelope_id TEXT UNIQUE, stored_at INTEGER);
    CREATE TABLE IF NOT EXISTS processed (envelope_id TEXT PRIMARY KEY, at INTEGER);`);
  return performance.now() - t0;
});

function run(sql, bind) {
  const rows = [];
  db.exec({ sql, bind, rowMode: 'array', resultRows: rows });
  return rows;
}

onmessage = async ({ data }) => {
  try {
    const openMs = await ready;
    if (data.op === 'ready') return postMessage({ id: data.id, openMs });
    if (data.op === 'exec') return postMessage({ id: data.id, rows: run(data.sql, data.bind) });
    if (data.op === 'batch') {
      const out = data.statements.map(([sql, bind]) => run(sql, bind));
      return postMessage({ id: data.id, rows: out[out.length - 1] });
    }
    if (data.op === 'close') {
      db.close();
      return postMessage({ id: data.id });
    }
  } catch (e) {
    postMessage({ id: data.id, error: String(e) });
  }
};
