/** Why an edit or delete for everyone was refused: a `ClientError` with one of the `EDIT_*` codes. Nothing was changed. */
import { ClientError, type ClientErrorCode } from '../errors.ts';

/** The codes an `EditError` carries. */
export type EditErrorCode = Extract<ClientErrorCode, 'EDIT_NOT_AUTHOR' | 'EDIT_WINDOW_EXPIRED' | 'EDIT_TARGET_UNKNOWN' | 'EDIT_TARGET_DELETED'>;

/** An edit or delete for everyone that was not applied. */
export class EditError extends ClientError {
  declare readonly code: EditErrorCode;
  constructor(code: EditErrorCode, message: string) {
    super(code, message);
  }
}
