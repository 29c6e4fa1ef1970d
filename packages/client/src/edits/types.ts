/**
 * The public types of edit and delete for everyone, app extensions and
 * unknown content (issue 18, part "edit"): the payload fields, the events
 * and the options.
 */
import type { ReceivedMessage } from '../client-types.ts';
import type { MessageRef } from '../content.ts';
import type { DeviceAddress } from '../store/types.ts';
import type { EditError } from './errors.ts';

/** Content field 21: a new text for an earlier message of the same author. */
export interface EditFields {
  target: MessageRef;
  /** The whole new text (non-empty). */
  text: string;
}

/** Content field 22: an earlier message of the same author deleted for everyone. On a stored message it marks the tombstone. */
export interface DeleteFields {
  target: MessageRef;
}

/** Content field 23: an app-defined payload the SDK delivers untouched. */
export interface Extension {
  /** Reverse-DNS type name, e.g. `com.example.poll` (see `checkExtensionType`). */
  type: string;
  data: Uint8Array;
}

/** Windows and bounds of edits and deletes (client option `edits`). */
export interface EditPolicy {
  /** How long after the original message's timestamp an edit is applied, ms (default 24 h, as Signal). */
  editWindowMs: number;
  /** How long after it a delete for everyone is applied, ms (default 24 h). */
  deleteWindowMs: number;
}

/** Default edit policy. */
export const DEFAULT_EDIT_POLICY: EditPolicy = { editWindowMs: 24 * 3600_000, deleteWindowMs: 24 * 3600_000 };

/** Event `edited`: a stored message got a new text (from the peer, our other device, or this device). */
export interface EditedEvent {
  /** The message as it is stored now (its new text). */
  message: ReceivedMessage;
  oldText: string;
  newText: string;
  /** The device that sent the edit. */
  by: DeviceAddress;
}

/** Event `deletedForEveryone`: a stored message was replaced by a tombstone. */
export interface DeletedEvent {
  /** Local id of the (now tombstoned) message. */
  id: number;
  conversation: string;
  target: MessageRef;
  by: DeviceAddress;
}

/** Event `editRejected`: an edit or delete that was not applied (nothing changed). */
export interface EditRejectedEvent {
  kind: 'edit' | 'delete';
  target: MessageRef;
  conversation: string;
  from: DeviceAddress;
  error: EditError;
}

/** Event `unknownContent`: a stored message carries fields this SDK does not know, or a newer payload version. */
export interface UnknownContentEvent {
  message: ReceivedMessage;
  /** Field numbers of `Content` this SDK does not know (kept, byte for byte, in the stored message). */
  fields: number[];
  version: number;
}

/** One earlier version of an edited message (`client.editHistory`). */
export interface EditVersion {
  /** Its text then. */
  text: string;
  /** When this device replaced it, ms. */
  replacedAt: number;
  /** The sender timestamp of the edit that replaced it, ms. */
  editTimestamp: number;
}
