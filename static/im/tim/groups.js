import {isPlainObject} from './checks.js';

/**
 * The groups this account is in, as TIM's Group objects, and whether the list has
 * changed since it was last announced (GROUP_LIST_UPDATED is not repeated for a
 * refresh that found nothing new, such as the one after every reconnect).
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

  put(group) {
    this.#byID.set(group.groupID, group);
    this.#onChange();
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
