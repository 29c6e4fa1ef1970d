/**
 * The contract of the `kt` store role (key transparency, issue 15), run on
 * every store: memory, SQLite and KvStore in store.test.ts, IndexedDB in
 * Chromium in test/browser/browser-store-contract.test.ts.
 */
import { expect, it } from 'vitest';
import { MAX_KT_EVIDENCE, type ClientStore, type StoredKtEvidence } from '../../src/store/types.ts';

const bytes = (...v: number[]) => Uint8Array.from(v);
const record = (n: number, extra: Partial<StoredKtEvidence> = {}): StoredKtEvidence => ({
  kind: n % 2 === 0 ? 'fork' : 'mismatch',
  at: 1000 + n,
  account: n % 2 === 0 ? undefined : `acct-${n}`,
  handle: n % 3 === 0 ? `h${n}` : undefined,
  data: { n, checkpoints: [`note ${n}`], nested: { ok: true, list: [1, 2, 3] } },
  ...extra,
});

/** Defines the kt role's tests for stores made by `open` (inside a describe). */
export function ktStoreContract(open: () => ClientStore): void {
  it('kt: the state blob starts absent, is replaced whole, and is returned as a copy', async () => {
    const s = open();
    expect(await s.kt.state()).toBeUndefined();
    const first = bytes(1, 2, 3);
    await s.kt.setState(first, 10);
    first[0] = 9; // the caller's buffer is not the stored one
    expect(await s.kt.state()).toEqual(bytes(1, 2, 3));
    await s.kt.setState(bytes(4, 5), 20);
    const got = (await s.kt.state())!;
    expect(got).toEqual(bytes(4, 5));
    got[0] = 0;
    expect(await s.kt.state()).toEqual(bytes(4, 5));
    await s.kt.setState(new Uint8Array(100_000).fill(7), 30);
    expect((await s.kt.state())!.length).toBe(100_000);
    await s.close();
  });

  it('kt: evidence is appended in order with its JSON data intact (undefined fields stay undefined)', async () => {
    const s = open();
    expect(await s.kt.evidence()).toEqual([]);
    await s.kt.addEvidence(record(1));
    await s.kt.addEvidence(record(2));
    await s.kt.addEvidence(record(3, { data: undefined }));
    const all = await s.kt.evidence();
    expect(all).toEqual([record(1), record(2), { ...record(3), data: null }]);
    expect(all[1]!.account).toBeUndefined();
    expect(all[0]!.handle).toBeUndefined();
    await s.close();
  });

  it(`kt: only the newest ${MAX_KT_EVIDENCE} evidence records are kept`, async () => {
    const s = open();
    await s.transaction(async (tx) => {
      for (let i = 0; i < MAX_KT_EVIDENCE + 5; i++) await tx.kt.addEvidence(record(i, { data: i }));
    });
    const all = await s.kt.evidence();
    expect(all.length).toBe(MAX_KT_EVIDENCE);
    expect(all[0]!.data).toBe(5);
    expect(all.at(-1)!.data).toBe(MAX_KT_EVIDENCE + 4);
    await s.close();
  });

  it('kt: a transaction that throws leaves state and evidence exactly as they were', async () => {
    const s = open();
    await s.kt.setState(bytes(1), 1);
    await s.kt.addEvidence(record(1));
    await expect(
      s.transaction(async (tx) => {
        await tx.kt.setState(bytes(2, 2), 2);
        await tx.kt.addEvidence(record(2));
        expect(await tx.kt.state()).toEqual(bytes(2, 2));
        expect((await tx.kt.evidence()).length).toBe(2);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await s.kt.state()).toEqual(bytes(1));
    expect(await s.kt.evidence()).toEqual([record(1)]);
    // And a committed transaction writes both together.
    await s.transaction(async (tx) => {
      await tx.kt.setState(bytes(3), 3);
      await tx.kt.addEvidence(record(4));
    });
    expect(await s.kt.state()).toEqual(bytes(3));
    expect((await s.kt.evidence()).map((e) => e.at)).toEqual([1001, 1004]);
    await s.close();
  });
}
