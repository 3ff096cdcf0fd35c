import {TYPES} from './constants.js';
import {invalidParam, isPlainObject} from './checks.js';

/**
 * A conversation's own settings for this account, kept by the server: pinned to the
 * top (`pinConversation`), and how a C2C conversation's messages reach it
 * (`setMessageRemindType`'s `userIDList` form; a group's is the group's, groups.js).
 */

// TIM's C2C form takes the first 30 userIDs.
export const MAX_REMIND_USERS = 30;
// Discard stops a group's pushes; a C2C conversation has no such type on Hutong.
export const C2C_REMIND_TYPES = [TYPES.MSG_REMIND_ACPT_AND_NOTE, TYPES.MSG_REMIND_ACPT_NOT_NOTE];

/** pinConversation's options, checked: `{conversationID, isPinned}`. */
export function pinOptions(log, options) {
  if (!isPlainObject(options)) throw invalidParam(log, 'options', 'an object');
  const {conversationID, isPinned} = options;
  if (typeof conversationID !== 'string' || !conversationID) {
    throw invalidParam(log, 'conversationID', 'a non-empty string');
  }
  if (typeof isPinned !== 'boolean') throw invalidParam(log, 'isPinned', 'true or false');
  return {conversationID, isPinned};
}

/** Whether setMessageRemindType's options are TIM's C2C form (userIDList, no groupID). */
export function isC2CRemind(options) {
  return isPlainObject(options) && options.groupID === undefined && options.userIDList !== undefined;
}

/** The C2C form's options, checked: its first 30 userIDs, and the type. */
export function c2cRemindOptions(log, options) {
  const {userIDList, messageRemindType} = options;
  if (
    !Array.isArray(userIDList) ||
    !userIDList.length ||
    !userIDList.every((id) => typeof id === 'string' && id)
  ) {
    throw invalidParam(log, 'userIDList', 'a non-empty array of userIDs');
  }
  if (!C2C_REMIND_TYPES.includes(messageRemindType)) {
    throw invalidParam(log, 'messageRemindType', 'MSG_REMIND_ACPT_AND_NOTE or MSG_REMIND_ACPT_NOT_NOTE');
  }
  return {userIDList: userIDList.slice(0, MAX_REMIND_USERS), messageRemindType};
}

/** The C2C form's answer, TIM's shape, whatever the server left out. */
export function c2cRemindResult(answer) {
  const list = (value) => (Array.isArray(value) ? value.filter(isPlainObject) : []);
  return {
    successUserIDList: list(answer?.successUserIDList),
    failureUserIDList: list(answer?.failureUserIDList),
  };
}

/** The conversationID a C2C remind-type change is about (a push's or an answer's userID). */
export function c2cConversationID(userID) {
  return `${TYPES.CONV_C2C}${userID}`;
}
