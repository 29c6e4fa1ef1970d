import { createTestDatabase } from '@sealpost/devkit/postgres';
import { PostgresEnvelopeStore } from './src/index.ts';
import { PgBucketStore } from './src/limits/pg-bucket-store.ts';
const db = await createTestDatabase();
try {
  const s = await PostgresEnvelopeStore.open({ url: db.url });
  const b = new PgBucketStore(s.pool);
  const spec = { name: 'x', capacity: 2, perMs: 0.001 };
  console.log(await b.takeAll([{ spec, key: 'k', n: 1 }], 1000));
  console.log(await b.takeAll([{ spec, key: 'k', n: 1 }, { spec: { ...spec, name: 'y' }, key: 'k', n: 5 }], 1000));
  console.log(await b.takeAll([{ spec, key: 'k', n: 1 }], 1000));
  console.log(await b.takeAll([{ spec, key: 'k', n: 1 }], 1000));
  console.log(await b.prune(1e9));
  await s.close();
} catch (e) { console.error(e); } finally { await db.drop(); }
