/**
 * HTTP client of the relay: sending sealed envelopes (anonymously, with the
 * recipient's unidentified-access key), polling and acknowledging the
 * device's queue, and registering this account's access key.
 */
import { ServiceError } from './errors.ts';
import { fromBase64, requestJson, serviceUrl, toBase64 } from './http.ts';

/** The 16-byte unidentified-access key of a 32-byte profile key (Signal's derivation; now in `@sealpost/protocol`). */
export { deriveAccessKey } from '@sealpost/protocol';

/** One sealed envelope for one device of the recipient. */
export interface OutgoingEnvelope {
  deviceId: number;
  registrationId: number;
  /** Sealed sender envelope bytes. */
  content: Uint8Array;
}

/** An envelope from this device's queue. */
export interface QueuedEnvelope {
  /** Relay id; acknowledge with it. */
  id: string;
  /** Sealed sender envelope bytes. */
  content: Uint8Array;
  /** When the relay accepted it, ms. */
  receivedAt: number;
}

/** Why the relay refused a send's device set (409 / 410). */
export interface DeviceMismatch {
  missingDevices: number[];
  extraDevices: number[];
  staleDevices: number[];
}

/** Supplies a current relay credential (bearer token from the key server). */
export type CredentialProvider = () => Promise<string>;

const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);

/** Extracts the device lists from a 409/410 relay answer; undefined for any other error. */
export function deviceMismatchOf(error: unknown): DeviceMismatch | undefined {
  if (!(error instanceof ServiceError) || (error.status !== 409 && error.status !== 410)) return undefined;
  const body = (error.body ?? {}) as Record<string, unknown>;
  return { missingDevices: numbers(body.missingDevices), extraDevices: numbers(body.extraDevices), staleDevices: numbers(body.staleDevices) };
}

/** One recipient's device mismatch in a refused multi-recipient send (409: missing/extra, 410: stale). */
export interface RecipientMismatch extends DeviceMismatch {
  account: string;
}

/** The per-recipient lists of a 409/410 answer to a multi-recipient send; undefined for any other error. */
export function multiRecipientMismatchOf(error: unknown): RecipientMismatch[] | undefined {
  if (!(error instanceof ServiceError) || (error.status !== 409 && error.status !== 410)) return undefined;
  const recipients = ((error.body ?? {}) as Record<string, unknown>).recipients;
  if (!Array.isArray(recipients)) return [];
  return recipients.map((r: Record<string, unknown>) => ({
    account: String(r.serviceId ?? '').toLowerCase(),
    missingDevices: numbers(r.missingDevices),
    extraDevices: numbers(r.extraDevices),
    staleDevices: numbers(r.staleDevices),
  }));
}

/** Client of one relay. */
export class RelayClient {
  constructor(
    readonly baseUrl: string,
    private readonly credential: CredentialProvider,
  ) {}

  async #auth(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.credential()}` };
  }

  /**
   * Sends one envelope per device of `account`, proving access with the
   * recipient's access key. A wrong device set throws a `ServiceError`
   * (409/410) — see `deviceMismatchOf`.
   *
   * `toOwnAccount`: a copy for this account's other devices. The request then
   * also carries this device's relay credential, so the relay does not
   * expect an envelope for the sending device itself (as Signal-Server does
   * for sync messages; the relay learns only what the credential says).
   */
  async send(account: string, accessKey: Uint8Array, envelopes: OutgoingEnvelope[], timestamp: number, toOwnAccount = false): Promise<void> {
    const headers: Record<string, string> = { 'unidentified-access-key': toBase64(accessKey) };
    if (toOwnAccount) Object.assign(headers, await this.#auth());
    await requestJson('relay', this.baseUrl, {
      method: 'PUT',
      path: `/v1/messages/${encodeURIComponent(account)}`,
      headers,
      body: { messages: envelopes.map((e) => ({ deviceId: e.deviceId, registrationId: e.registrationId, content: toBase64(e.content) })), timestamp },
    });
  }

  /**
   * Sends one sealed sender v2 SentMessage (0x23) to every device it names
   * (`PUT /v1/messages/multi_recipient`), with each recipient account's
   * access key. A device set the relay disagrees with throws a
   * `ServiceError` 409/410 — see `multiRecipientMismatchOf`.
   */
  async sendMultiRecipient(sentMessage: Uint8Array, accessKeys: ReadonlyMap<string, Uint8Array>): Promise<void> {
    await requestJson('relay', this.baseUrl, {
      method: 'PUT',
      path: '/v1/messages/multi_recipient',
      body: { sentMessage: toBase64(sentMessage), accessKeys: Object.fromEntries([...accessKeys].map(([account, key]) => [account, toBase64(key)])) },
    });
  }

  /** Fetches up to `limit` queued envelopes, oldest first. */
  async fetch(limit?: number): Promise<{ envelopes: QueuedEnvelope[]; more: boolean }> {
    const r = await requestJson<{ messages: { id: string; content: string; receivedAt: number }[]; more: boolean }>('relay', this.baseUrl, {
      method: 'GET',
      path: limit === undefined ? '/v1/messages' : `/v1/messages?limit=${limit}`,
      headers: await this.#auth(),
    });
    return { envelopes: r.messages.map((m) => ({ id: m.id, content: fromBase64('content', m.content), receivedAt: m.receivedAt })), more: r.more };
  }

  /** Deletes processed envelopes from the queue. */
  async acknowledge(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000) {
      await requestJson('relay', this.baseUrl, { method: 'POST', path: '/v1/messages/acknowledge', headers: await this.#auth(), body: { ids: ids.slice(i, i + 1000) } });
    }
  }

  /** Deletes every queue of this account and its access key at the relay (primary device only; `DELETE /v1/accounts/me`); resolves to how many envelopes went. */
  async deleteAccount(): Promise<number> {
    const r = await requestJson<{ purged: number }>('relay', this.baseUrl, { method: 'DELETE', path: '/v1/accounts/me', headers: await this.#auth() });
    return r.purged;
  }

  /** Registers this account's unidentified-access key (derived from its profile key). */
  async setAccessKey(account: string, accessKey: Uint8Array): Promise<void> {
    await requestJson('relay', this.baseUrl, {
      method: 'PUT',
      path: `/v1/accounts/${encodeURIComponent(account)}/access-key`,
      headers: await this.#auth(),
      body: { accessKey: toBase64(accessKey) },
    });
  }

  /**
   * Hands a sealed provisioning envelope to a new device's mailbox (device
   * linking; this device's relay credential). Single use: a used, expired or
   * unknown mailbox is a `ServiceError` 404 `UNKNOWN_MAILBOX`.
   */
  async putProvisioningMessage(mailboxId: string, envelope: Uint8Array): Promise<void> {
    await requestJson('relay', this.baseUrl, {
      method: 'PUT',
      path: `/v1/provisioning/${encodeURIComponent(mailboxId)}`,
      headers: await this.#auth(),
      body: { body: toBase64(envelope) },
    });
  }

  /** WebSocket URL of a new provisioning mailbox (unauthenticated). */
  provisioningUrl(): string {
    const u = new URL('/v1/provisioning', this.baseUrl);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  /** WebSocket URL for push delivery. */
  websocketUrl(): string {
    const u = serviceUrl(this.baseUrl, '/v1/websocket');
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }
}
