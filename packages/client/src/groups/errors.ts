/** The typed errors of groups: each names the group (hex id) and, where it applies, the epoch. */
import { ClientError, type ClientErrorCode } from '../errors.ts';

/** The codes a `GroupError` carries. */
export type GroupErrorCode = Extract<
  ClientErrorCode,
  'GROUP_UNKNOWN' | 'GROUP_NOT_MEMBER' | 'GROUP_FORGED_CHANGE' | 'GROUP_EQUIVOCATION' | 'GROUP_STALE_EPOCH' | 'GROUP_EPOCH_AHEAD'
>;

/** A group message or change that was refused (or a group operation that is not allowed). Nothing was stored for it. */
export class GroupError extends ClientError {
  declare readonly code: GroupErrorCode;
  /** The group, as 64 hex digits. */
  readonly groupId: string;
  /** The epoch the refused message or change named, when it named one. */
  readonly epoch: number | undefined;
  /** For `GROUP_EQUIVOCATION`: the hash of the other change or state seen for `epoch`. */
  readonly evidence: Uint8Array | undefined;
  constructor(code: GroupErrorCode, groupId: string, message: string, epoch?: number, evidence?: Uint8Array) {
    super(code, `group ${groupId.slice(0, 16)}…: ${message}`);
    this.groupId = groupId;
    this.epoch = epoch;
    this.evidence = evidence;
  }
}

/** True for a `GroupError` (of `code`, when given). */
export function isGroupError(error: unknown, code?: GroupErrorCode): error is GroupError {
  return error instanceof GroupError && (code === undefined || error.code === code);
}
