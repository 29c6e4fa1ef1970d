/**
 * Contacts' profile keys (from their contact cards, or learned from their
 * messages) and the unidentified-access keys derived from them. Profile keys
 * live in the store's `contacts` table; the derived access keys are cached
 * per contact in memory (bounded), and a profile key is written only when it
 * changes.
 */
import { deriveAccessKey } from '@sealpost/protocol';
import { equalBytes } from '@sealpost/protocol/primitives';
import type { ContactCard } from './client-types.ts';
import { fromBase64Url, toBase64Url } from './encoding.ts';
import { ClientError } from './errors.ts';
import type { ClientStore, ContactStore, RegisteredAccount } from './store/types.ts';

/** Contacts whose keys are kept in memory at once. */
export const CONTACT_CACHE_SIZE = 1024;

interface CachedContact {
  profileKey: Uint8Array;
  accessKey: Uint8Array;
}

function checkProfileKey(profileKey: unknown): asserts profileKey is Uint8Array {
  if (!(profileKey instanceof Uint8Array) || profileKey.length !== 32) throw new ClientError('INVALID_DATA', 'profile key must be 32 bytes');
}

/** Encodes a contact card as text (for QR codes and the terminal chat). */
export function encodeContactCard(card: ContactCard): string {
  return `${card.account}:${toBase64Url(card.profileKey)}`;
}

/** Decodes `encodeContactCard`'s text. */
export function decodeContactCard(text: string): ContactCard {
  const m = /^([0-9a-f-]{36}):([A-Za-z0-9_-]{43})$/.exec(text.trim());
  if (m === null) throw new ClientError('INVALID_DATA', 'not a contact card');
  return { account: m[1]!, profileKey: fromBase64Url('contact card profile key', m[2]!) };
}

/** The contacts of one device. */
export class Contacts {
  // Insertion order = age; re-inserting on use keeps recently used ones.
  readonly #cache = new Map<string, CachedContact>();

  constructor(
    private readonly store: ClientStore,
    private readonly now: () => number,
    private readonly own: () => RegisteredAccount,
  ) {}

  #remember(account: string, profileKey: Uint8Array): CachedContact {
    const entry = { profileKey: profileKey.slice(), accessKey: deriveAccessKey(profileKey) };
    this.#cache.delete(account);
    this.#cache.set(account, entry);
    if (this.#cache.size > CONTACT_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    return entry;
  }

  async #cached(account: string): Promise<CachedContact | undefined> {
    const hit = this.#cache.get(account);
    if (hit !== undefined) {
      this.#cache.delete(account);
      this.#cache.set(account, hit);
      return hit;
    }
    const stored = await this.store.contacts.get(account);
    return stored === undefined ? undefined : this.#remember(account, stored.profileKey);
  }

  /** Remembers a contact's card (their profile key); needed before the first message to them. */
  async add(card: ContactCard): Promise<void> {
    checkProfileKey(card.profileKey);
    await this.learn(this.store.contacts, card.account, card.profileKey);
  }

  /**
   * Records `profileKey` for `account` through `contacts` (e.g. a transaction's
   * role) unless it is already the stored one. The cache entry is dropped, so
   * a rolled-back transaction cannot leave a key in memory the store lacks.
   */
  async learn(contacts: ContactStore, account: string, profileKey: Uint8Array): Promise<void> {
    const known = this.#cache.get(account)?.profileKey ?? (await contacts.get(account))?.profileKey;
    if (known !== undefined && equalBytes(known, profileKey)) return;
    this.#cache.delete(account);
    await contacts.set({ account, profileKey: profileKey.slice(), updatedAt: this.now() });
  }

  /** The profile key known for `account` (ours for our own), if any. */
  async profileKey(account: string): Promise<Uint8Array | undefined> {
    const own = this.own();
    if (account === own.account) return own.profileKey.slice();
    return (await this.#cached(account))?.profileKey.slice();
  }

  /** The access key the relay asks for when sending to `account`; `UNKNOWN_RECIPIENT` without a card. */
  async accessKey(account: string): Promise<Uint8Array> {
    const own = this.own();
    if (account === own.account) return (this.#cache.get(account) ?? this.#remember(account, own.profileKey)).accessKey;
    const contact = await this.#cached(account);
    if (contact === undefined) throw new ClientError('UNKNOWN_RECIPIENT', `no contact card for ${account}: call addContact() first`);
    return contact.accessKey;
  }
}
