/** The public types of groups: what the API returns and the events it emits. */
import type { DeviceAddress } from '../store/types.ts';
import type { GroupError } from './errors.ts';
import type { GroupRole } from './group-change.ts';

/** The history peer (conversation) of a group: `group:` + its hex id. */
export const GROUP_PEER_PREFIX = 'group:';

/** The conversation name of group `groupId` (hex). */
export const groupPeer = (groupId: string): string => GROUP_PEER_PREFIX + groupId;

/** The group id (hex) of a conversation name, or undefined for a 1:1 conversation. */
export const groupOfPeer = (peer: string): string | undefined => (peer.startsWith(GROUP_PEER_PREFIX) ? peer.slice(GROUP_PEER_PREFIX.length) : undefined);

/** A group as this device knows it. */
export interface GroupInfo {
  /** 64 hex digits. */
  id: string;
  epoch: number;
  title: string;
  members: { account: string; role: GroupRole; addedEpoch: number }[];
  /** True while this device's account is a member. */
  isMember: boolean;
  /** SHA-256 of the current signed change, hex (compare it out of band to rule out a split view). */
  stateHash: string;
  /** Set when two different changes or states were seen for one epoch (sends are refused). */
  conflict?: { epoch: number };
}

/** A group change this device applied (made here, or received). */
export interface GroupChangeEvent {
  groupId: string;
  epoch: number;
  author: DeviceAddress;
  title: string;
  added: string[];
  removed: string[];
  /** True when the title changed. */
  renamed: boolean;
  /** What it means for this device's account. */
  self: 'created' | 'joined' | 'removed' | 'left' | 'member';
}

/** Two different changes or states were seen for one epoch of a group. */
export interface GroupConflictEvent {
  groupId: string;
  epoch: number;
  /** The device whose message showed the other state. */
  from: DeviceAddress;
  error: GroupError;
}
