/**
 * A keyed collection of JSON records kept in the client store's `settings`
 * table (`<prefix>:<id>` → JSON, plus `<prefix>:index` listing the ids), so
 * it needs no schema migration and works on every ClientStore. Each write
 * updates record and index in one transaction. The upload and download
 * state roles are two such collections.
 */
import type { ClientStore } from '../store/types.ts';

export class SettingsRecords {
  private readonly indexKey: string;

  constructor(
    private readonly store: ClientStore,
    private readonly prefix: string,
  ) {
    this.indexKey = `${prefix}:index`;
  }

  private itemKey(id: string): string {
    return `${this.prefix}:${id}`;
  }

  private static ids(text: string | undefined): string[] {
    return text === undefined || text === '' ? [] : (JSON.parse(text) as string[]);
  }

  /** The ids of every stored record, oldest first. */
  async ids(): Promise<string[]> {
    return SettingsRecords.ids(await this.store.settings.get(this.indexKey));
  }

  /** Stores (or replaces) record `id` with its JSON text. */
  async put(id: string, json: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const ids = SettingsRecords.ids(await tx.settings.get(this.indexKey));
      if (!ids.includes(id)) ids.push(id);
      await tx.settings.set(this.itemKey(id), json);
      await tx.settings.set(this.indexKey, JSON.stringify(ids));
    });
  }

  /** The JSON text of record `id`, or undefined. */
  async get(id: string): Promise<string | undefined> {
    const text = await this.store.settings.get(this.itemKey(id));
    return text === undefined || text === '' ? undefined : text;
  }

  /** Every stored record, decoded, oldest first. */
  async list<T>(decode: (json: string) => T): Promise<T[]> {
    const out: T[] = [];
    for (const id of await this.ids()) {
      const text = await this.get(id);
      if (text !== undefined) out.push(decode(text));
    }
    return out;
  }

  async delete(id: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const ids = SettingsRecords.ids(await tx.settings.get(this.indexKey));
      await tx.settings.set(this.itemKey(id), '');
      await tx.settings.set(this.indexKey, JSON.stringify(ids.filter((x) => x !== id)));
    });
  }
}
