/**
 * How the PostgreSQL stores read an error's SQLSTATE: disk_full (53100)
 * becomes `StorageFullError` (the relay answers 507), a deadlock (40P01) or
 * serialization failure (40001) runs the whole statement or transaction
 * again, anything else is passed on untouched. The errors are shaped as pg
 * delivers them (an Error with `code`); a real full disk on the test server
 * is out of reach of a test.
 */
import { describe, expect, it } from 'vitest';
import { StorageFullError } from '../src/store/index.ts';
import { pgWrite, sqlState } from '../src/store/pg-errors.ts';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('PostgreSQL error handling', () => {
  it('53100 is StorageFullError, keeping the cause', async () => {
    const cause = pgError('53100', 'could not extend file: No space left on device');
    const e = await pgWrite(() => Promise.reject(cause)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StorageFullError);
    expect((e as Error).cause).toBe(cause);
  });

  it('retries deadlocks and serialization failures, up to four attempts; other errors at once', async () => {
    let calls = 0;
    expect(await pgWrite(async () => (++calls < 3 ? Promise.reject(pgError(calls === 1 ? '40P01' : '40001')) : 'ok'))).toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    await expect(pgWrite(async () => (calls++, Promise.reject(pgError('40P01'))))).rejects.toMatchObject({ code: '40P01' });
    expect(calls).toBe(4);
    calls = 0;
    await expect(pgWrite(async () => (calls++, Promise.reject(pgError('23505'))))).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
    expect(sqlState(new Error('plain'))).toBeUndefined();
  });
});
