/** The `edits` role's types (re-exported by store/types.ts). */

/** One earlier version of an edited message (see `EditStore`). */
export interface StoredEdit {
  /** The history row the version belongs to. */
  readonly messageId: number;
  /** The message's `Content` bytes before that edit. */
  readonly content: Uint8Array;
  /** The sender timestamp of the edit that replaced it, ms. */
  readonly editTimestamp: number;
  /** When this device replaced it, ms. */
  readonly replacedAt: number;
}

/** The earlier versions of edited messages (role `edits`, SQLite migration 8). */
export interface EditStore {
  add(edit: StoredEdit): Promise<void>;
  /** The earlier versions of `messageId`, oldest first. */
  list(messageId: number): Promise<StoredEdit[]>;
  /** Drops every earlier version of `messageId` (a delete for everyone); returns how many there were. */
  removeAll(messageId: number): Promise<number>;
}
