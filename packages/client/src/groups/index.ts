/** Groups: client-managed, end-to-end encrypted membership and sender-key messages (docs/groups.md). */
export { Groups, groupInfo, type CreateGroupOptions } from './groups.ts';
export { GroupError, isGroupError, type GroupErrorCode } from './errors.ts';
export type { GroupSendResult } from './group-send.ts';
export type { GroupRole } from './group-change.ts';
export { groupPeer, groupOfPeer, type GroupInfo, type GroupChangeEvent, type GroupConflictEvent } from './types.ts';
