/**
 * Handing out one-time prekeys from PostgreSQL: the part of
 * `PostgresKeyStore` that makes a key leave exactly once, whatever the
 * number of instances. A batch of fetches (bundle-batcher.ts groups those of
 * one event-loop turn) is served with two statements:
 *
 * 1. `readyDevices`: the requested accounts' devices that have both current
 *    long-lived keys, with those keys (devices lacking one are left out and
 *    consume nothing);
 * 2. `claimOneTime`: for every (device, kind) the batch wants, as many of
 *    the lowest-id keys as fetches cover that device, picked with
 *    `FOR UPDATE SKIP LOCKED` and deleted in the same statement. A key row is
 *    locked by the one claim that picked it and gone when that claim commits;
 *    a concurrent claim on another instance skips it instead of waiting. If
 *    a claim rolls back (instance killed mid-statement), its keys are simply
 *    still there. The claim is one statement, so it is atomic without an
 *    explicit transaction (as in SQLite, the plan is read before it).
 *
 * The keys are then dealt out fetch by fetch, lowest id first, so result i is
 * what the i-th fetch would get had they run one after another (up to keys
 * that a concurrent claim holds at that moment: those are skipped, not waited for).
 */
import type pg from 'pg';
import type { BundleRequest, DeviceBundle, SignedKeyKind, SignedPreKey } from './key-store.ts';
import { bytes, int, pgSignedKey, SQL, type PgReadyDeviceRow, type PgTakenRow } from './pg-statements.ts';

/** A device a fetch covers, with its current long-lived keys. */
interface ReadyDevice {
  accountId: string;
  deviceId: number;
  registrationId: number;
  signed: SignedPreKey;
  lastResort: SignedPreKey;
}

/** The ready devices of each request, in request order (device id order within). */
export async function planBundles(db: pg.ClientBase | pg.Pool, requests: readonly BundleRequest[]): Promise<ReadyDevice[][]> {
  const accounts = [...new Set(requests.map((r) => r.accountId))];
  const { rows } = await db.query<PgReadyDeviceRow>(SQL.readyDevices, [accounts]);
  const byAccount = new Map<string, ReadyDevice[]>();
  for (const r of rows) {
    const list = byAccount.get(r.account_id) ?? [];
    list.push({
      accountId: r.account_id,
      deviceId: r.device_id,
      registrationId: r.registration_id,
      signed: pgSignedKey({ key_id: r.s_key_id, public_key: r.s_public_key, signature: r.s_signature }),
      lastResort: pgSignedKey({ key_id: r.l_key_id, public_key: r.l_public_key, signature: r.l_signature }),
    });
    byAccount.set(r.account_id, list);
  }
  return requests.map((r) => (byAccount.get(r.accountId) ?? []).filter((d) => r.deviceId === undefined || d.deviceId === r.deviceId));
}

/** Bundles without one-time keys (what a drained device serves). */
export function peekedBundles(devices: readonly ReadyDevice[]): DeviceBundle[] {
  return devices.map((d) => ({
    deviceId: d.deviceId,
    registrationId: d.registrationId,
    signedPreKey: d.signed,
    preKey: undefined,
    pqPreKey: d.lastResort,
    pqPreKeyIsLastResort: true,
  }));
}

/** Claims (one statement) and deals out one-time keys for planned fetches. */
export async function claimBundles(client: pg.ClientBase | pg.Pool, plans: readonly ReadyDevice[][]): Promise<DeviceBundle[][]> {
  const demand = new Map<string, { accountId: string; deviceId: number; n: number }>();
  for (const p of plans) {
    for (const d of p) {
      const k = `${d.accountId}.${d.deviceId}`;
      const entry = demand.get(k);
      if (entry === undefined) demand.set(k, { accountId: d.accountId, deviceId: d.deviceId, n: 1 });
      else entry.n++;
    }
  }
  const queues = new Map<string, PgTakenRow[]>();
  if (demand.size > 0) {
    const wants = [...demand.values()].flatMap((d) => (['ec', 'kyber'] as const).map((kind) => ({ ...d, kind })));
    const { rows } = await client.query<PgTakenRow>(SQL.claimOneTime, [
      wants.map((w) => w.accountId),
      wants.map((w) => w.deviceId),
      wants.map((w) => w.kind),
      wants.map((w) => w.n),
    ]);
    for (const r of rows) {
      const k = `${r.account_id}.${r.device_id}.${r.kind}`;
      const q = queues.get(k) ?? [];
      q.push(r);
      queues.set(k, q);
    }
    // RETURNING order is unspecified: lowest id first, as fetch by fetch would.
    for (const q of queues.values()) q.sort((a, b) => int(a.key_id) - int(b.key_id));
  }
  const dealt = new Map<string, number>();
  const next = (d: ReadyDevice, kind: SignedKeyKind, i: number) => queues.get(`${d.accountId}.${d.deviceId}.${kind}`)?.[i];
  return plans.map((p) =>
    p.map((d): DeviceBundle => {
      const k = `${d.accountId}.${d.deviceId}`;
      const i = dealt.get(k) ?? 0;
      dealt.set(k, i + 1);
      const ec = next(d, 'ec', i);
      const kyber = next(d, 'kyber', i);
      return {
        deviceId: d.deviceId,
        registrationId: d.registrationId,
        signedPreKey: d.signed,
        preKey: ec === undefined ? undefined : { keyId: int(ec.key_id), publicKey: bytes(ec.public_key) },
        pqPreKey: kyber === undefined ? d.lastResort : { keyId: int(kyber.key_id), publicKey: bytes(kyber.public_key), signature: bytes(kyber.signature ?? Buffer.alloc(0)) },
        pqPreKeyIsLastResort: kyber === undefined,
      };
    }),
  );
}
