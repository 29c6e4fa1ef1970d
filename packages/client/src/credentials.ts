/**
 * The short-lived credentials this device fetches from the key server: the
 * relay bearer token and the sender certificate sealed into every message.
 * Each is cached in memory and refreshed a margin before it expires;
 * concurrent callers share one refresh.
 */
import type { KeyServerClient } from './keyserver-client.ts';

/** Refresh the relay token this long before it expires, ms. */
export const RELAY_TOKEN_REFRESH_MARGIN_MS = 30_000;
/** Refresh the sender certificate this long before it expires, ms. */
export const SENDER_CERTIFICATE_REFRESH_MARGIN_MS = 60_000;

/** A value with an expiry, refreshed by `fetch` within `marginMs` of it. */
class Expiring<T> {
  #value: { value: T; expiresAt: number } | undefined;
  #refreshing: Promise<{ value: T; expiresAt: number }> | undefined;

  constructor(
    private readonly marginMs: number,
    private readonly fetch: () => Promise<{ value: T; expiresAt: number }>,
  ) {}

  async get(now: number): Promise<T> {
    if (this.#value !== undefined && this.#value.expiresAt - now >= this.marginMs) return this.#value.value;
    this.#refreshing ??= this.fetch().finally(() => (this.#refreshing = undefined));
    this.#value = await this.#refreshing;
    return this.#value.value;
  }
}

/** This device's relay token and sender certificate. */
export class Credentials {
  readonly #relayToken: Expiring<string>;
  readonly #senderCertificate: Expiring<Uint8Array>;

  /** `relayAudience`: the relay the tokens are for (its public origin); the relay refuses tokens for others. */
  constructor(
    keyServer: KeyServerClient,
    private readonly now: () => number,
    relayAudience: string,
  ) {
    this.#relayToken = new Expiring(RELAY_TOKEN_REFRESH_MARGIN_MS, async () => {
      const c = await keyServer.relayCredential(relayAudience);
      return { value: c.token, expiresAt: c.expiresAt };
    });
    this.#senderCertificate = new Expiring(SENDER_CERTIFICATE_REFRESH_MARGIN_MS, async () => {
      const c = await keyServer.senderCertificate();
      return { value: c.certificate, expiresAt: c.expiresAt };
    });
  }

  /** A relay bearer token valid for at least the margin. */
  relayToken(): Promise<string> {
    return this.#relayToken.get(this.now());
  }

  /** A serialized sender certificate valid for at least the margin. */
  senderCertificate(): Promise<Uint8Array> {
    return this.#senderCertificate.get(this.now());
  }
}
