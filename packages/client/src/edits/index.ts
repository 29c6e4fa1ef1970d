/** Edit and delete for everyone, app extensions, unknown content (issue 18, part "edit"). */
export { EditError, type EditErrorCode } from './errors.ts';
export { isTombstone } from './apply-edit.ts';
export { checkExtensionType, MAX_EDIT_TEXT_BYTES, MAX_EXTENSIONS, MAX_EXTENSION_BYTES, MAX_EXTENSION_TYPE_LENGTH } from './edit-codec.ts';
export type { EditSendResult } from './edits.ts';
export { DEFAULT_EDIT_POLICY, type DeleteFields, type DeletedEvent, type EditedEvent, type EditFields, type EditPolicy, type EditRejectedEvent, type EditVersion, type Extension, type UnknownContentEvent } from './types.ts';
