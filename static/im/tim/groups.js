import {TYPES} from './constants.js';
import {isPlainObject} from './checks.js';

/**
 * The groups this account is in, as TIM's Group objects, and whether the list has
 * changed since it was last announced (GROUP_LIST_UPDATED is not repeated for a
 * refresh that found nothing new, such as the one after every reconnect). Also what
 * the pushes about groups do to that list (a join, a leave, a tip), and how a join
 * application's notice becomes the request that handles it.
 */

/** A Group with TIM's fields; the server's values win, TIM leaves unset ones "". */
export function makeGroup(fields) {
  return {
    groupID: '',
    name: '',
    avatar: '',
    type: '',
    introduction: '',
    notification: '',
    ownerID: '',
    createTime: 0,
    infoSequence: 0,
    lastInfoTime: 0,
    selfInfo: {},
    lastMessage: {lastTime: 0, lastSequence: 0, fromAccount: '', messageForShow: ''},
    nextMessageSeq: 0,
    memberCount: 0,
    maxMemberCount: fields.maxMemberNum ?? 0,
    joinOption: '',
    inviteOption: '',
    groupCustomField: [],
    muteAllMembers: false,
    isSupportTopic: false,
    ...fields,
  };
}

export class GroupList {
  #onChange;
  #byID = new Map(); // groupID → Group
  #announced = null; // the JSON of the last announced list

  /** @param {function(): void} onChange the list changed and wants announcing */
  constructor(onChange) {
    this.#onChange = onChange;
  }

  has(groupID) {
    return this.#byID.has(groupID);
  }

  list() {
    return [...this.#byID.values()];
  }

  get(groupID) {
    return this.#byID.get(groupID);
  }

  put(group) {
    this.#byID.set(group.groupID, group);
    this.#onChange();
  }

  /**
   * A newer profile of a group from the server (an action's answer): taken if the
   * group is listed. An answer without `selfInfo` keeps the listed one.
   * @returns {boolean} whether the group is listed
   */
  refresh(fields) {
    const listed = this.#byID.get(fields?.groupID);
    if (!listed) return false;
    const selfInfo = hasSelfInfo(fields) ? fields.selfInfo : listed.selfInfo;
    this.put(makeGroup({...fields, selfInfo}));
    return true;
  }

  /** @returns {boolean} whether it was listed */
  remove(groupID) {
    if (!this.#byID.delete(groupID)) return false;
    this.#onChange();
    return true;
  }

  /**
   * What a group tip says about a listed group, for `me` (the account): its profile
   * (6), this account's role (4, 5; a new owner in 6) and name card (7). Applying a
   * tip twice, or after an answer that already held its change, changes nothing.
   * @returns {boolean} whether the list changed
   */
  applyTip(payload, me) {
    const group = this.#byID.get(payload?.groupProfile?.groupID);
    if (!group) return false;
    const next = tipEffect(group, payload, me);
    if (next === group) return false;
    this.put(next);
    return true;
  }

  /**
   * How this account's messages of a listed group reach it changed
   * (selfInfo.messageRemindType).
   * @returns {boolean} whether the list changed
   */
  setRemindType(groupID, messageRemindType) {
    const group = this.#byID.get(groupID);
    if (!group || group.selfInfo.messageRemindType === messageRemindType) return false;
    this.put(makeGroup({...group, selfInfo: {...group.selfInfo, messageRemindType}}));
    return true;
  }

  /** Replace the list with the server's; entries without a groupID are dropped. */
  replace(list) {
    this.#byID = new Map(
      list
        .filter((g) => isPlainObject(g) && typeof g.groupID === 'string')
        .map((g) => [g.groupID, makeGroup(g)]),
    );
  }

  /** The list if it differs from the one last taken here, else null. */
  takeChange() {
    const list = this.list();
    const json = JSON.stringify(list);
    if (json === this.#announced) return null;
    this.#announced = json;
    return list;
  }

  clear() {
    this.#byID.clear();
    this.#announced = null;
  }
}

/**
 * The group a GROUP_JOINED push brings. The server encodes that push once for every
 * member who joined, so its `selfInfo` is empty: a group already listed keeps its
 * own, a new one gets what can be known (the owner is the ownerID; anyone else starts
 * as a Member, since only createGroup's member list makes admins at once) until its
 * profile, asked for when `needsProfile`, brings the real one.
 * @returns {{group: Object, needsProfile: boolean}}
 */
export function joinedGroup(fields, listed, me) {
  const {changeSequence, ...rest} = fields; // the push's, not the group's
  if (hasSelfInfo(rest)) return {group: makeGroup(rest), needsProfile: false};
  if (listed && hasSelfInfo(listed)) {
    return {group: makeGroup({...rest, selfInfo: listed.selfInfo}), needsProfile: false};
  }
  const role = rest.ownerID === me ? TYPES.GRP_MBR_ROLE_OWNER : TYPES.GRP_MBR_ROLE_MEMBER;
  const selfInfo = {role, userID: me, joinTime: 0, nameCard: ''};
  return {group: makeGroup({...rest, selfInfo}), needsProfile: true};
}

function hasSelfInfo(group) {
  return isPlainObject(group.selfInfo) && Object.keys(group.selfInfo).length > 0;
}

/**
 * Whether a tip changes who is in the group (join, quit, kicked), which a listed
 * group's memberCount cannot follow by arithmetic: the answer to the action that
 * made the tip already counted it, for the connection that acted.
 */
export function tipChangesMembers(payload) {
  return [TYPES.GRP_TIP_MBR_JOIN, TYPES.GRP_TIP_MBR_QUIT, TYPES.GRP_TIP_MBR_KICKED_OUT].includes(
    payload?.operationType,
  );
}

/** The group after a tip (a new object), or `group` itself when the tip changes nothing. */
export function tipEffect(group, payload, me) {
  const users = Array.isArray(payload.userIDList) ? payload.userIDList : [];
  const self = {...group.selfInfo};
  let profile = {};
  switch (payload.operationType) {
    case TYPES.GRP_TIP_MBR_SET_ADMIN:
    case TYPES.GRP_TIP_MBR_CANCELED_ADMIN:
      if (!users.includes(me)) return group;
      self.role =
        payload.operationType === TYPES.GRP_TIP_MBR_SET_ADMIN
          ? TYPES.GRP_MBR_ROLE_ADMIN
          : TYPES.GRP_MBR_ROLE_MEMBER;
      break;
    case TYPES.GRP_TIP_GRP_PROFILE_UPDATED:
      profile = isPlainObject(payload.newGroupProfile) ? payload.newGroupProfile : {};
      if (typeof profile.ownerID === 'string' && profile.ownerID !== group.ownerID) {
        // The old owner becomes a plain member (the protocol's changeGroupOwner).
        if (profile.ownerID === me) self.role = TYPES.GRP_MBR_ROLE_OWNER;
        else if (group.ownerID === me) self.role = TYPES.GRP_MBR_ROLE_MEMBER;
      }
      break;
    case TYPES.GRP_TIP_MBR_PROFILE_UPDATED: {
      const mine = (payload.memberList ?? []).find((m) => m?.userID === me);
      if (typeof mine?.nameCard !== 'string') return group;
      self.nameCard = mine.nameCard;
      break;
    }
    default:
      return group;
  }
  const next = makeGroup({...group, ...profile, selfInfo: self});
  return JSON.stringify(next) === JSON.stringify(group) ? group : next;
}

/**
 * TIM's handleGroupApplication takes the join application's system notice; the
 * wire wants who applied to which group. The applicant is the notice's operator.
 * @param {Object} message a TIMGroupSystemNoticeElem Message of operationType 1
 * @returns {{groupID: string, applicant: string}|null} null for any other message
 */
export function applicationOf(message) {
  if (!isPlainObject(message) || message.type !== TYPES.MSG_GRP_SYS_NOTICE) return null;
  const {operationType, operatorID, groupProfile} = message.payload ?? {};
  if (operationType !== NOTICE.JOIN_APPLICATION) return null;
  const groupID = groupProfile?.groupID;
  if (typeof groupID !== 'string' || !groupID || typeof operatorID !== 'string' || !operatorID) {
    return null;
  }
  return {groupID, applicant: operatorID};
}

/** The operationTypes of the system notices this server sends (docs/protocol.md). */
export const NOTICE = Object.freeze({
  JOIN_APPLICATION: 1,
  APPLICATION_ACCEPTED: 2,
  APPLICATION_REJECTED: 3,
  KICKED: 4,
  DISMISSED: 5,
  INVITED: 7,
  SET_ADMIN: 9,
  CANCELED_ADMIN: 10,
});

/** A GroupMember with TIM's fields; the server's values win. */
export function makeMember(fields) {
  return {
    userID: '',
    avatar: '',
    nick: '',
    role: TYPES.GRP_MBR_ROLE_MEMBER,
    joinTime: 0,
    lastSendMsgTime: 0,
    nameCard: '',
    muteUntil: 0,
    memberCustomField: [],
    ...fields,
  };
}
