import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
for (const variant of ['without_rowid']) {
  for (const path of ['/tmp/mb2.db', '/tmp/mb2.db', '/tmp/mb2.db', '/dev/shm/mb2.db']) {
   const cfg = (globalThis as any).__i = ((globalThis as any).__i ?? 0) + 1;
    rmSync(path, { force: true }); rmSync(path + '-wal', { force: true }); rmSync(path + '-shm', { force: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); if (cfg===2) db.pragma('wal_autocheckpoint = 0'); if (cfg===3) db.pragma('synchronous = OFF');
    if (variant === 'without_rowid') db.exec(`CREATE TABLE o (a TEXT NOT NULL, d INTEGER NOT NULL, k TEXT NOT NULL, id INTEGER NOT NULL, pk BLOB NOT NULL, sig BLOB, PRIMARY KEY (a,d,k,id)) WITHOUT ROWID`);
    else db.exec(`CREATE TABLE o (a TEXT NOT NULL, d INTEGER NOT NULL, k TEXT NOT NULL, id INTEGER NOT NULL, pk BLOB NOT NULL, sig BLOB); CREATE UNIQUE INDEX o_i ON o(a,d,k,id)`);
    const ins = db.prepare('INSERT INTO o VALUES (?,?,?,?,?,?)');
    const kb = Buffer.alloc(1569, 7), eb = Buffer.alloc(33, 5), sig = Buffer.alloc(64);
    const acc = '9d0652a3-dcc3-4d11-975f-74d61598733f';
    db.transaction(() => { for (let i = 0; i < 50000; i++) { ins.run(acc, 1, 'ec', i, eb, null); ins.run(acc, 1, 'kyber', i, kb, sig); } })();
    const del = db.prepare(`DELETE FROM o WHERE a=@a AND d=@d AND k=@k AND id=(SELECT id FROM o WHERE a=@a AND d=@d AND k=@k ORDER BY id LIMIT 1) RETURNING id, pk, sig`);
    console.log(db.prepare('EXPLAIN QUERY PLAN ' + del.source).all({a:acc,d:1,k:'ec'}).map((r: any) => r.detail).join(' | '));
    const tx = db.transaction(() => [del.get({ a: acc, d: 1, k: 'ec' }), del.get({ a: acc, d: 1, k: 'kyber' })]);
    let t = performance.now();
    for (let i = 0; i < 20000; i++) tx.immediate();
    console.log(variant, path, cfg, 'us/op', ((performance.now() - t) * 1000 / 20000).toFixed(1));
    db.close();
  }
}
