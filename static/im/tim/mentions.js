import {TYPES} from './constants.js';

/**
 * @mentions (TIM's `createTextAtMessage`, a message's `atUserList` and a group
 * conversation's `groupAtInfoList`), apart from any session or socket.
 */

/** The server's cap on one message's atUserList. */
export const MAX_AT_USERS = 30;

/**
 * A checked copy of an atUserList (each userID once, in order), or a string saying
 * what is wrong with it.
 */
export function cleanAtUserList(list) {
  if (!Array.isArray(list) || !list.every((id) => typeof id === 'string' && id)) {
    return 'an array of userIDs (or TIM.TYPES.MSG_AT_ALL)';
  }
  const unique = [...new Set(list)];
  if (unique.length > MAX_AT_USERS) return `at most ${MAX_AT_USERS} userIDs`;
  return unique;
}

/**
 * The groupAtInfoList item a message adds to `userID`'s conversation: one from
 * someone else, in a group, stored (an AVChatRoom's are not), naming `userID` or
 * everyone. Null otherwise.
 */
export function atInfoOf(message, userID) {
  const list = message.atUserList;
  if (!Array.isArray(list) || !list.length) return null;
  if (message.conversationType !== TYPES.CONV_GROUP || message.flow !== 'in') return null;
  if (message.changeSequence === 0 || message.isRevoked) return null;
  const me = list.includes(userID);
  const all = list.includes(TYPES.MSG_AT_ALL);
  if (!me && !all) return null;
  let atType = TYPES.CONV_AT_ME;
  if (all) atType = me ? TYPES.CONV_AT_ALL_AT_ME : TYPES.CONV_AT_ALL;
  return {
    from: message.from,
    groupID: message.to,
    topicID: '',
    messageSequence: message.sequence,
    atTypeArray: [atType],
  };
}

/** `list` with `info` added in sequence order (once per message). */
export function withAtInfo(list, info) {
  if (list.some((i) => i.messageSequence === info.messageSequence)) return list;
  return [...list, info].sort((a, b) => a.messageSequence - b.messageSequence);
}

/**
 * A server snapshot's list reconciled with the local one: what arrived here after the
 * snapshot (past `serverSequence`) is added to it.
 */
export function mergeAtInfo(serverList, localList, serverSequence) {
  let merged = serverList ?? [];
  for (const info of localList ?? []) {
    if (info.messageSequence > serverSequence) merged = withAtInfo(merged, info);
  }
  return merged;
}
