/**
 * `startLocalServices({ keyServerDatabaseUrl })` runs the key server on
 * PostgreSQL (for benchmarks and tests that start key servers on a shared
 * database). Runs when SEALPOST_TEST_POSTGRES_URL is set.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomBytes } from '@sealpost/protocol/primitives';
import { createTestDatabase, postgresAvailable } from '@sealpost/devkit/postgres';
import { startLocalServices } from '@sealpost/devkit/services';

describe.runIf(postgresAvailable())('local services with the key server on PostgreSQL', () => {
  it('stores accounts in the named database', async () => {
    const database = await createTestDatabase('devkit_ks');
    const services = await startLocalServices({ keyServerDatabaseUrl: database.url });
    try {
      const identityKey = Buffer.from(Uint8Array.of(5, ...randomBytes(32))).toString('base64');
      const res = await fetch(`${services.keyServerUrl}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identityKey, registrationId: 9, deviceSecret: Buffer.from(randomBytes(32)).toString('base64') }),
      });
      expect(res.status).toBe(201);
      const { accountId } = (await res.json()) as { accountId: string };
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        expect((await client.query('SELECT account_id FROM accounts')).rows).toEqual([{ account_id: accountId }]);
      } finally {
        await client.end();
      }
    } finally {
      await services.close();
      await database.drop();
    }
  });
});
