/**
 * The text of one cluster notice as it travels in a PostgreSQL NOTIFY
 * payload: a JSON array `[kind, instance, ...fields]`. Decoding is strict —
 * a payload that is not exactly one of these shapes is refused (undefined),
 * never thrown on — since anything with access to the database can NOTIFY
 * on the channel.
 *
 * | kind | fields | meaning |
 * |---|---|---|
 * | `q` | account, device | envelopes were committed for the device |
 * | `r` | account, device | the device was removed |
 * | `k` | account | the account's access key changed |
 * | `p` | mailbox key | a provisioning mailbox (hex SHA-256 of its id) has its message |
 *
 * Payloads carry no envelope content, key or mailbox id.
 */

/** A notice, with the instance that published it. */
export type RelayNotice =
  | { kind: 'queued'; instance: string; accountId: string; deviceId: number }
  | { kind: 'removed'; instance: string; accountId: string; deviceId: number }
  | { kind: 'access-key'; instance: string; accountId: string }
  | { kind: 'mailbox'; instance: string; mailboxKey: string };

/** PostgreSQL's limit on a NOTIFY payload is 8000 bytes; ours stay far below. */
const MAX_PAYLOAD = 1024;
const ID = /^[A-Za-z0-9:_-]{1,64}$/;
const MAILBOX_KEY = /^[0-9a-f]{64}$/;

/** The payload text of a notice. */
export function encodeNotice(n: RelayNotice): string {
  switch (n.kind) {
    case 'queued':
      return JSON.stringify(['q', n.instance, n.accountId, n.deviceId]);
    case 'removed':
      return JSON.stringify(['r', n.instance, n.accountId, n.deviceId]);
    case 'access-key':
      return JSON.stringify(['k', n.instance, n.accountId]);
    case 'mailbox':
      return JSON.stringify(['p', n.instance, n.mailboxKey]);
  }
}

const isId = (v: unknown): v is string => typeof v === 'string' && ID.test(v);
const isDevice = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0x7fffffff;

/** The notice in a payload, or undefined for anything that is not one. */
export function decodeNotice(payload: string | undefined): RelayNotice | undefined {
  if (payload === undefined || payload.length > MAX_PAYLOAD) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || !isId(v[1])) return undefined;
  const [kind, instance] = v as [unknown, string];
  if ((kind === 'q' || kind === 'r') && v.length === 4 && isId(v[2]) && isDevice(v[3])) {
    return { kind: kind === 'q' ? 'queued' : 'removed', instance, accountId: v[2], deviceId: v[3] };
  }
  if (kind === 'k' && v.length === 3 && isId(v[2])) return { kind: 'access-key', instance, accountId: v[2] };
  if (kind === 'p' && v.length === 3 && typeof v[2] === 'string' && MAILBOX_KEY.test(v[2])) return { kind: 'mailbox', instance, mailboxKey: v[2] };
  return undefined;
}
