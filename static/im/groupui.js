/**
 * What the chat page says about groups and which group controls it offers, without
 * the page: the lines of group tips and system notices, and the permission table of
 * docs/protocol.md ("Group rules by type") seen from one member. No DOM here, so the
 * node tests import it as it is.
 *
 * The texts take the translation functions as an argument (`i18n`: Django's
 * JavaScript catalog's gettext, ngettext and interpolate), because the catalog is a
 * global of the browser page.
 */
import TIM from './tim.js';

const {TYPES} = TIM;
const OWNER = TYPES.GRP_MBR_ROLE_OWNER;
const ADMIN = TYPES.GRP_MBR_ROLE_ADMIN;
const MEMBER = TYPES.GRP_MBR_ROLE_MEMBER;

/** The join-application notices and the others (protocol "Group tips and system notices"). */
export const NOTICE_JOIN_APPLICATION = 1;
/** An operator's own notice to every member (TIM's custom notice: its text in userDefinedField). */
export const NOTICE_CUSTOM = 255;

/**
 * "10 minutes", "2 hours", "3 days": a mute's length, in the largest unit it fills.
 * @param {number} seconds
 */
export function durationText(seconds, {ngettext, interpolate}) {
  const units = [
    [86400, (n) => ngettext('%s day', '%s days', n)],
    [3600, (n) => ngettext('%s hour', '%s hours', n)],
    [60, (n) => ngettext('%s minute', '%s minutes', n)],
  ];
  for (const [size, text] of units) {
    if (seconds >= size) {
      const n = Math.round(seconds / size);
      return interpolate(text(n), [n]);
    }
  }
  return interpolate(ngettext('%s second', '%s seconds', seconds), [seconds]);
}

/**
 * The line a group tip shows in its conversation: "carol joined the group".
 * @param {Object} payload a TIMGroupTipElem's payload
 * @param {{gettext, ngettext, interpolate}} i18n
 * @param {{nameOf?: function(string): string, groupType?: string}} [context] `nameOf`
 *   turns a userID into what the page shows for it; `groupType` tells an invitation
 *   (a Private group's) from an approved application
 */
export function tipText(payload, i18n, {nameOf = (id) => id, groupType = ''} = {}) {
  const {gettext, interpolate} = i18n;
  const say = (text, values) => interpolate(text, values, true);
  const operator = nameOf(payload.operatorID ?? '');
  const ids = Array.isArray(payload.userIDList) && payload.userIDList.length
    ? payload.userIDList
    : [payload.operatorID ?? ''];
  const users = ids.map(nameOf).join(gettext(', '));
  switch (payload.operationType) {
    case TYPES.GRP_TIP_MBR_JOIN:
      if (groupType === TYPES.GRP_WORK && !ids.includes(payload.operatorID)) {
        return say(gettext('%(operator)s added %(users)s to the group'), {operator, users});
      }
      return say(gettext('%(users)s joined the group'), {users});
    case TYPES.GRP_TIP_MBR_QUIT:
      return say(gettext('%(users)s left the group'), {users});
    case TYPES.GRP_TIP_MBR_KICKED_OUT:
      return say(gettext('%(operator)s removed %(users)s from the group'), {operator, users});
    case TYPES.GRP_TIP_MBR_SET_ADMIN:
      return say(gettext('%(operator)s made %(users)s an admin'), {operator, users});
    case TYPES.GRP_TIP_MBR_CANCELED_ADMIN:
      return say(gettext('%(operator)s removed %(users)s as admin'), {operator, users});
    case TYPES.GRP_TIP_GRP_PROFILE_UPDATED:
      return profileTipText(payload.newGroupProfile ?? {}, operator, i18n, nameOf);
    case TYPES.GRP_TIP_MBR_PROFILE_UPDATED:
      return memberTipText(payload.memberList ?? [], operator, i18n, nameOf);
    default:
      return gettext('[Group tip]');
  }
}

function profileTipText(profile, operator, i18n, nameOf) {
  const {gettext, interpolate} = i18n;
  const say = (text, values) => interpolate(text, values, true);
  const lines = [];
  if (typeof profile.name === 'string') {
    lines.push(say(gettext('%(operator)s changed the group name to “%(name)s”'), {operator, name: profile.name}));
  }
  if (typeof profile.notification === 'string') {
    const text = profile.notification;
    lines.push(say(gettext('%(operator)s changed the group notification to “%(text)s”'), {operator, text}));
  }
  if (typeof profile.introduction === 'string') {
    const text = profile.introduction;
    lines.push(say(gettext('%(operator)s changed the group introduction to “%(text)s”'), {operator, text}));
  }
  if (typeof profile.avatar === 'string') {
    lines.push(say(gettext('%(operator)s changed the group avatar'), {operator}));
  }
  if (typeof profile.ownerID === 'string') {
    const owner = nameOf(profile.ownerID);
    lines.push(say(gettext('%(operator)s made %(owner)s the owner of the group'), {operator, owner}));
  }
  if (profile.muteAllMembers === true) lines.push(say(gettext('%(operator)s muted everyone'), {operator}));
  if (profile.muteAllMembers === false) lines.push(say(gettext('%(operator)s unmuted everyone'), {operator}));
  if (typeof profile.joinOption === 'string') {
    lines.push(say(gettext('%(operator)s changed how people join the group'), {operator}));
  }
  return lines.join(gettext('; ')) || say(gettext('%(operator)s changed the group profile'), {operator});
}

function memberTipText(memberList, operator, i18n, nameOf) {
  const {gettext, interpolate} = i18n;
  const say = (text, values) => interpolate(text, values, true);
  const lines = [];
  for (const member of memberList) {
    const user = nameOf(member.userID ?? '');
    if (Number.isFinite(member.muteTime) && member.muteTime > 0) {
      const time = durationText(member.muteTime, i18n);
      lines.push(say(gettext('%(operator)s muted %(user)s for %(time)s'), {operator, user, time}));
    } else if (member.muteTime === 0) {
      lines.push(say(gettext('%(operator)s unmuted %(user)s'), {operator, user}));
    }
    if (typeof member.nameCard === 'string') {
      const card = member.nameCard;
      lines.push(say(gettext('%(user)s’s name card is now “%(card)s”'), {user, card}));
    }
  }
  return lines.join(gettext('; ')) || say(gettext('%(operator)s changed a member’s profile'), {operator});
}

/**
 * The line a system notice shows in the Notifications conversation.
 * @param {Object} payload a TIMGroupSystemNoticeElem's payload
 */
export function noticeText(payload, i18n, {nameOf = (id) => id} = {}) {
  const {gettext, interpolate} = i18n;
  const say = (text, values) => interpolate(text, values, true);
  const group = payload.groupProfile?.name || payload.groupProfile?.groupID || '';
  const operator = nameOf(payload.operatorID ?? '');
  switch (payload.operationType) {
    case NOTICE_JOIN_APPLICATION:
      return say(gettext('%(operator)s asks to join %(group)s'), {operator, group});
    case 2:
      return say(gettext('Your request to join %(group)s was accepted'), {group});
    case 3:
      return say(gettext('Your request to join %(group)s was rejected'), {group});
    case 4:
      return say(gettext('%(operator)s removed you from %(group)s'), {operator, group});
    case 5:
      return say(gettext('%(operator)s dismissed %(group)s'), {operator, group});
    case 7:
      return say(gettext('%(operator)s added you to %(group)s'), {operator, group});
    case 8:
      return say(gettext('You left %(group)s'), {group});
    case 9:
      return say(gettext('%(operator)s made you an admin of %(group)s'), {operator, group});
    case 10:
      return say(gettext('%(operator)s removed you as admin of %(group)s'), {operator, group});
    case NOTICE_CUSTOM:
      return say(gettext('Notice to %(group)s: %(text)s'), {group, text: payload.userDefinedField ?? ''});
    default:
      return gettext('[Group notice]');
  }
}

/**
 * The controls about the group as a whole that this member may use: the protocol's
 * table by group type and role. The page shows these and no others.
 * @param {{type: string, selfInfo?: {role?: string}}} group
 */
export function groupControls(group) {
  const role = group.selfInfo?.role ?? MEMBER;
  const isPrivate = group.type === TYPES.GRP_WORK;
  const isAV = group.type === TYPES.GRP_AVCHATROOM;
  const manages = role === OWNER || role === ADMIN;
  return {
    invite: isPrivate,
    editProfile: isPrivate || manages,
    muteAll: !isPrivate && manages,
    transfer: role === OWNER && !isAV,
    // The owner of anything but a Private group hands it over or dismisses it instead.
    quit: role !== OWNER || isPrivate,
    dismiss: role === OWNER && !isPrivate,
  };
}

/**
 * The controls this member may use on another `member` of `group`: remove, make or
 * unmake admin, mute, hand the group over. Nothing on oneself: leaving is `quit`.
 * @param {Object} group
 * @param {{userID: string, role: string}} member
 * @param {string} me this account's userID
 */
export function memberControls(group, member, me) {
  const none = {remove: false, setAdmin: false, cancelAdmin: false, mute: false, transfer: false};
  if (member.userID === me) return none;
  const role = group.selfInfo?.role ?? MEMBER;
  const isPrivate = group.type === TYPES.GRP_WORK;
  const owner = role === OWNER;
  // The owner acts on anyone but itself; an admin on plain members.
  const outranks = owner || (role === ADMIN && member.role === MEMBER);
  return {
    remove: isPrivate ? owner : outranks,
    setAdmin: owner && !isPrivate && member.role === MEMBER,
    cancelAdmin: owner && !isPrivate && member.role === ADMIN,
    mute: !isPrivate && outranks,
    transfer: owner && group.type !== TYPES.GRP_AVCHATROOM,
  };
}
