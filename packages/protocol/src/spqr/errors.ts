/**
 * Typed errors of the SPQR layer.
 *
 * Every failure is a {@link SpqrError}: a SealpostError whose `code` is
 * INVALID_MESSAGE (something the peer sent) or INVALID_RECORD (a stored
 * state that does not decode), with the finer `kind` naming which SPQR
 * check failed. The kinds follow the failure classes libsignal's SPQR
 * reports, so callers and tests can tell them apart.
 */
import { SealpostError } from '../errors.ts';

export type SpqrErrorKind =
  | 'StateDecode'
  | 'MsgDecode'
  | 'MacVerifyFailed'
  | 'EpochOutOfRange'
  | 'VersionMismatch'
  | 'MinimumVersion'
  | 'KeyJump'
  | 'KeyTrimmed'
  | 'KeyAlreadyRequested'
  | 'ErroneousDataReceived'
  | 'SendKeyEpochDecreased'
  | 'ChainNotAvailable'
  | 'InvalidParams';

const RECORD_KINDS: ReadonlySet<SpqrErrorKind> = new Set(['StateDecode', 'ChainNotAvailable', 'InvalidParams']);

export class SpqrError extends SealpostError {
  readonly kind: SpqrErrorKind;
  constructor(kind: SpqrErrorKind, message: string) {
    super(RECORD_KINDS.has(kind) ? 'INVALID_RECORD' : 'INVALID_MESSAGE', `spqr ${kind}: ${message}`);
    this.kind = kind;
  }
}
