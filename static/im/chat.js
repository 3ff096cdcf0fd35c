/**
 * The chat page: a client of tim.js like any page written for TIM.
 *
 * Text from messages and users only ever reaches the page through text nodes
 * (textContent, or emoji.js's spans), never as HTML. Translations come from
 * Django's JavaScript catalog, loaded by a classic <script> before this module
 * (the gettext/interpolate globals).
 */
import TIM from './tim.js';
import {appendText, emojiElement, faceAt} from './emoji.js';
import {EmojiPicker} from './emojipicker.js';
import {MentionPicker, appendMentionText, mentionFlag} from './mentions.js';
import {
  NOTICE_JOIN_APPLICATION,
  durationText,
  groupControls,
  memberControls,
  noticeText,
  tipText,
} from './groupui.js';
import {MAX_TEXT_BYTES, fitHeight, sizeText, textSize} from './composer.js';
import {fillMediaBubble, imageVersion, setUploadProgress, uploadStrip, clockText} from './mediaui.js';
import {errorText, groupTypeText, remindText, roleText} from './pagetext.js';
import {dayKey, dayLabel, fullDateTime, listTime, startsNewDay, timeOfDay, untilNextDay} from './when.js';
import {ProfileUI, avatarElement} from './profileui.js';
import {FindPeople} from './findpeople.js';
import {VoiceRecorder} from './recorder.js';
import {
  TypingIndicator,
  TypingSender,
  isShown,
  tickElement,
  typingPayload,
  typingStatusOf,
} from './readstate.js';
import {ConversationListUI, isQuiet} from './convlist.js';
import {Notifier} from './notify.js';
import {MessageActions} from './msgactions.js';
import {Panes, showOverlay} from './panes.js';
import {updateRows} from './rows.js';

const {gettext, ngettext, interpolate} = window;
const i18n = {gettext, ngettext, interpolate};

const root = document.querySelector('[data-testid="chat"]');
const $ = (testid) => root.querySelector(`[data-testid="${testid}"]`);
const el = {
  status: $('status'),
  newChat: $('new-chat'),
  peerInput: $('peer-input'),
  totalUnread: $('total-unread'),
  newGroupToggle: $('new-group-toggle'),
  newGroup: $('new-group'),
  groupName: $('group-name'),
  groupMembers: $('group-members'),
  groupType: $('group-type'),
  groupJoinOption: $('group-join-option'),
  findGroup: $('find-group'),
  findGroupID: $('find-group-id'),
  foundGroup: $('found-group'),
  panelToggle: $('group-panel-toggle'),
  headAvatar: $('head-avatar'),
  peerProfile: $('peer-profile-toggle'),
  groupPanel: $('group-panel'),
  groupPanelBody: $('group-panel-body'),
  createGroup: $('create-group'),
  cancelGroup: $('cancel-group'),
  conversationList: $('conversation-list'),
  noConversations: $('no-conversations'),
  title: $('conversation-title'),
  typing: $('typing'),
  messageList: $('message-list'),
  noMessages: $('no-messages'),
  composer: $('composer'),
  emojiButton: $('emoji-button'),
  emojiPicker: $('emoji-picker'),
  mentionPicker: $('mention-picker'),
  messageInput: $('message-input'),
  messageSize: $('message-size'),
  send: $('send'),
  attach: $('attach'),
  attachInput: $('attach-input'),
  attachVideo: $('attach-video'),
  videoInput: $('video-input'),
  record: $('record'),
  recording: $('recording'),
  recordTimer: $('record-timer'),
  recordCancel: $('record-cancel'),
  lightbox: $('lightbox'),
  lightboxImage: $('lightbox-image'),
  lightboxOriginal: $('lightbox-original'),
  lightboxClose: $('lightbox-close'),
  netBanner: $('net-banner'),
  signedOut: $('signed-out'),
  signedOutReason: $('signed-out-reason'),
  signedOutHint: $('signed-out-hint'),
  signInAgain: $('sign-in-again'),
  back: $('back-to-list'),
};

const PAGE_SIZE = 15; // getMessageList's largest page
// The app's recall window; the server has the last word, the page only hides the
// control once it can no longer work.
// The app's largest message (content JSON and cloudCustomData), from the view.
const MAX_MESSAGE_BYTES = Number(root.dataset.maxMessageBytes) || MAX_TEXT_BYTES;
const REVOKE_WINDOW_MS = (Number(root.dataset.revokeWindow) || 120) * 1000;
const LOAD_MORE_PX = 48; // this close to the top, scrolling up fetches older messages
const BASE_TITLE = document.title;

const state = {
  tim: null,
  ready: false,
  me: '', // this account's userID
  clockSkew: 0, // server clock minus this browser's, ms: message times are the server's
  conversations: [], // the SDK's list, newest first
  // Conversations not (yet) in the SDK's list, as the server or createGroup described
  // them: a chat just started, a group just created. Gives them a name.
  profiles: new Map(),
  // conversationID → {messages, nextReqMessageID, isCompleted, loaded, loading}
  stores: new Map(),
  activeID: null,
  midnightTimer: null, // redraws the dates when the day changes (when.js)
  opened: false, // whether a conversation was ever open on this page (see onMessageReceived)
  totalUnread: 0,
  revokeTimer: null,
  netState: TIM.TYPES.NET_STATE_CONNECTED, // the SDK's NET_STATE_CHANGE
  kickedOutType: null, // the last KICKED_OUT's type, until the next sign-in
  groups: new Map(), // groupID → Group: the SDK's group list (GROUP_LIST_UPDATED)
  // "groupID\napplicant" of the join applications still waiting for this account:
  // their notices offer Agree / Reject, handled ones no longer do.
  applications: new Set(),
  panelOpen: false,
  members: new Map(), // groupID → the open group's GroupMember list, as last fetched
  // message ID → the upload's progress (0..1), while its files go up
  uploads: new Map(),
  // message ID → why its last send failed, shown with its retry
  failures: new Map(),
  recorder: null, // the VoiceRecorder while recording
  recordingFor: null, // the conversation the recording goes to: where it was started
  recordTimer: null,
  renewal: null, // the timer that renews the UserSig before it expires
};
// The page's own reason for a session that ended: the user signed out of the site
// (in another tab); the SDK reports it as the server's REST_API_Kick.
const SIGNED_OUT_OF_SITE = 'signedOutOfSite';

// The image types an image message takes (others attached go as files).
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/bmp', 'image/webp'];

// The mute lengths the group panel offers, in seconds.
const MUTE_CHOICES = [600, 3600, 86400, 7 * 86400];

// Names, avatars, profiles and the blacklist; it tells the page when they change.
const profiles = new ProfileUI({
  i18n,
  onChange: onPeopleChanged,
  showStatus: (text) => setStatus(text, 'error'),
  openChat: (userID) => openConversation(`${TIM.TYPES.CONV_C2C}${userID}`),
});
const {people} = profiles;
// On a phone, the list or the open conversation (panes.js).
const panes = new Panes(root, {
  back: el.back,
  title: el.title,
  composer: el.messageInput,
  openRow: () => (state.activeID ? conversationButton(state.activeID) : null),
});

// The menu on each message: copy, reply, forward, delete for me, recall (msgactions.js).
const actions = new MessageActions({
  root,
  composer: el.composer,
  input: el.messageInput,
  i18n,
  tim: () => state.tim,
  activeID: () => state.activeID,
  canRecall,
  recall: (message) => revokeMessage(message),
  nameOf: (message) => nameOf(message.from || state.me, message),
  summaryOf: (message) => summaryOf(message.type, message.payload),
  conversations: () => state.conversations.map(({conversationID}) => ({conversationID, name: displayName(conversationID)})),
  sent: (message, sending) => {
    addMessages([message]);
    if (message.conversationID === state.activeID) renderMessages('bottom');
    settleSend(message, sending);
  },
  deleted: onMessagesDeleted,
  showError,
  showStatus: (text) => setStatus(text),
});

// Dates and times are said in the page's language (when.js).
const LANG = document.documentElement.lang;

// The list's search box and row menus (convlist.js), and notifications (notify.js).
const convList = new ConversationListUI({
  i18n,
  list: el.conversationList,
  searchBefore: el.noConversations,
  tim: () => state.tim,
  nameOf: displayName,
  remindTypeOf,
  render: renderConversations,
  showError,
  onDeleted: (conversationID) => {
    if (conversationID !== state.activeID) return;
    state.activeID = null;
    renderActive('auto');
  },
});
const notifier = new Notifier({
  i18n,
  after: el.conversationList, // at the sidebar's foot
  me: () => state.me,
  activeID: () => state.activeID,
  quiet: (conversationID) => isQuiet(remindTypeOf(conversationOf(conversationID))),
  nameOf: displayName,
  textOf: notificationText,
  open: (conversationID) => openConversation(conversationID),
});

// --- status and state ---

function setStatus(text, kind = 'info') {
  el.status.textContent = text;
  el.status.dataset.kind = kind;
  el.status.dataset.cause = '';
  el.status.hidden = !text;
}

/** A failed action's error; one caused by the connection goes when the connection is back. */
function showError(error) {
  setStatus(errorText(error, i18n), 'error');
  if (error?.code === TIM.ERROR.REQUEST_FAILED) el.status.dataset.cause = 'network';
}

function setState(name) {
  root.dataset.state = name;
  state.ready = name === 'ready';
  updateComposer();
}

function updateComposer() {
  const usable = state.ready && state.activeID !== null && !isSystemID(state.activeID);
  el.messageInput.disabled = !usable;
  el.send.disabled = !usable || textSize(el.messageInput.value, MAX_MESSAGE_BYTES).over;
  el.emojiButton.disabled = !usable;
  el.attach.disabled = !usable;
  el.attachVideo.disabled = !usable;
  el.record.disabled = !usable || !VoiceRecorder.supported;
  if (!usable) {
    closeEmojiPicker();
    cancelRecording();
  }
}

/**
 * After the composer's text changed: its height, and its size against the
 * message limit; a text over it cannot be sent (the server would refuse it).
 */
function onComposerInput() {
  fitHeight(el.messageInput);
  const size = textSize(el.messageInput.value, MAX_MESSAGE_BYTES);
  el.messageSize.textContent = sizeText(size, i18n);
  el.messageSize.hidden = !size.near;
  el.messageSize.classList.toggle('over', size.over);
  el.messageInput.setAttribute('aria-invalid', String(size.over));
  el.send.disabled = el.messageInput.disabled || size.over;
  if (isPeerID(state.activeID)) {
    typingSender.input(state.activeID, Boolean(el.messageInput.value.trim()));
  }
}

/** Now, on the server's clock (message times are the server's). */
function serverNow() {
  return Date.now() + state.clockSkew;
}

// --- conversations ---

function isGroupID(conversationID) {
  return conversationID.startsWith(TIM.TYPES.CONV_GROUP);
}

/** Whether a conversation is a C2C chat with someone else (one with typing and ticks). */
function isPeerID(conversationID) {
  return (
    Boolean(conversationID) &&
    conversationID.startsWith(TIM.TYPES.CONV_C2C) &&
    conversationID !== `${TIM.TYPES.CONV_C2C}${state.me}`
  );
}

/** Tell a C2C peer we are typing (1) or stopped (0): online only, best effort. */
function sendTyping(conversationID, status) {
  if (!state.ready || state.netState !== TIM.TYPES.NET_STATE_CONNECTED) return;
  try {
    const message = state.tim.createCustomMessage({
      ...targetOf(conversationID),
      payload: typingPayload(status === 1),
    });
    state.tim.sendMessage(message, {onlineUserOnly: true}).catch(() => {});
  } catch (error) {
    console.warn('could not send the typing state', error);
  }
}

const typingSender = new TypingSender(sendTyping);
const typingIndicator = new TypingIndicator((conversationID) => {
  if (conversationID === state.activeID) renderTyping();
});

/** "typing…" in the head while the open C2C chat's peer types. */
function renderTyping() {
  const typing = typingIndicator.isTyping(state.activeID);
  el.typing.hidden = !typing;
  el.typing.textContent = typing ? gettext('typing…') : '';
}

/** The group notices' conversation, which nobody writes to. */
function isSystemID(conversationID) {
  return conversationID === TIM.TYPES.CONV_SYSTEM;
}

/** The listed group of a group conversation, or undefined. */
function groupOf(conversationID) {
  return conversationID && isGroupID(conversationID)
    ? state.groups.get(conversationID.slice(TIM.TYPES.CONV_GROUP.length))
    : undefined;
}

/** Where a message to this conversation goes: TIM's `to` and `conversationType`. */
function targetOf(conversationID) {
  const conversationType = isGroupID(conversationID) ? TIM.TYPES.CONV_GROUP : TIM.TYPES.CONV_C2C;
  return {to: conversationID.slice(conversationType.length), conversationType};
}

function listed(conversationID) {
  return state.conversations.find((c) => c.conversationID === conversationID);
}

/** The best description of a conversation the page has, listed or not. */
function conversationOf(conversationID) {
  let type = isGroupID(conversationID) ? TIM.TYPES.CONV_GROUP : TIM.TYPES.CONV_C2C;
  if (isSystemID(conversationID)) type = TIM.TYPES.CONV_SYSTEM;
  return (
    listed(conversationID) ??
    state.profiles.get(conversationID) ?? {conversationID, type, unreadCount: 0, lastMessage: null}
  );
}

function displayName(conversationID) {
  const conversation = conversationOf(conversationID);
  const profile = state.profiles.get(conversationID);
  if (isSystemID(conversationID)) return gettext('Notifications');
  if (isGroupID(conversationID)) {
    // A group that a push just revealed has no name until the SDK fetched it.
    return (
      groupOf(conversationID)?.name ||
      conversation.groupProfile?.name ||
      profile?.groupProfile?.name ||
      targetOf(conversationID).to
    );
  }
  const nick = conversation.userProfile?.nick || profile?.userProfile?.nick;
  return people.nameOf(targetOf(conversationID).to, {nick});
}

/** The avatar beside a conversation: the peer's, the group's, or initials. */
function conversationAvatar(conversationID, size = '') {
  const {to} = targetOf(conversationID);
  const name = displayName(conversationID);
  if (isGroupID(conversationID)) {
    const url = groupOf(conversationID)?.avatar || conversationOf(conversationID).groupProfile?.avatar;
    return avatarElement({userID: to, name, url}, size);
  }
  if (isSystemID(conversationID)) return avatarElement({userID: to, name}, size);
  const fallback = conversationOf(conversationID).userProfile?.avatar;
  return avatarElement({userID: to, name, url: people.avatarOf(to, fallback)}, size);
}

/** The name shown for a userID: its group name card, nick, a message's nick, or the userID. */
function nameOf(userID, {nick = '', nameCard = ''} = {}) {
  return people.nameOf(userID, {nick, nameCard});
}

/** "You recalled a message" / "alice recalled a message", for a Message or a lastMessage. */
function recallText({revoker, from, fromAccount, nick}) {
  const sender = from ?? fromAccount;
  const who = revoker || sender;
  if (who === state.me) return gettext('You recalled a message');
  // The recaller's own message shows their nick; an admin's recall only has a userID.
  const name = who === sender ? people.nameOf(sender, {nick}) : people.nameOf(who);
  return interpolate(gettext('%s recalled a message'), [name]);
}

/** A message's body as short text (conversation previews). Text keeps its tokens. */
function summaryOf(type, payload, fallback = '', groupType = '') {
  switch (type) {
    case TIM.TYPES.MSG_TEXT:
      return payload?.text ?? fallback;
    case TIM.TYPES.MSG_FACE:
      return faceAt(payload?.index)?.token ?? (payload?.data || gettext('[Sticker]'));
    case TIM.TYPES.MSG_CUSTOM:
      return payload?.description || gettext('[Custom message]');
    case TIM.TYPES.MSG_IMAGE:
      return gettext('[Image]');
    case TIM.TYPES.MSG_FILE:
      return interpolate(gettext('[File] %s'), [payload?.fileName ?? '']);
    case TIM.TYPES.MSG_AUDIO:
      return gettext('[Voice]');
    case TIM.TYPES.MSG_VIDEO:
      return gettext('[Video]');
    case TIM.TYPES.MSG_GRP_TIP:
      return payload ? tipText(payload, i18n, {groupType, nameOf}) : fallback;
    case TIM.TYPES.MSG_GRP_SYS_NOTICE:
      return payload ? noticeText(payload, i18n) : fallback;
    default:
      return fallback || gettext('[Unsupported message]');
  }
}

/** A new message as a notification's line: its sender in a group, and what it says. */
function notificationText(message) {
  const groupType = groupOf(message.conversationID)?.type;
  const text = summaryOf(message.type, message.payload, '', groupType);
  if (message.conversationType !== TIM.TYPES.CONV_GROUP) return text;
  return `${nameOf(message.from, message)}: ${text}`;
}

// --- rendering: the conversation list ---

function renderConversations() {
  const items = [...state.conversations];
  // A conversation just opened has no message yet, so the SDK does not list it.
  if (state.activeID && !listed(state.activeID)) items.unshift(conversationOf(state.activeID));
  // Nor a group joined a moment ago: it shows at once, below the ones with messages.
  for (const group of state.groups.values()) {
    const id = `${TIM.TYPES.CONV_GROUP}${group.groupID}`;
    if (!items.some((c) => c.conversationID === id)) items.push(conversationOf(id));
  }
  const shown = convList.filter(items);
  const focus = convList.focusInList(); // a redraw keeps the focus on its row
  el.conversationList.replaceChildren(...shown.map(conversationItem));
  convList.restoreFocus(focus);
  el.noConversations.hidden = items.length > 0;
  convList.showResult(items.length, shown.length);
}

function conversationButton(conversationID) {
  return el.conversationList.querySelector(
    `[data-testid=conversation][data-conversation-id="${CSS.escape(conversationID)}"]`,
  );
}

function conversationItem(conversation) {
  const id = conversation.conversationID;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'conversation-item';
  button.dataset.testid = 'conversation';
  button.dataset.conversationId = id;
  if (id === state.activeID) button.setAttribute('aria-current', 'true');

  const name = document.createElement('span');
  name.className = 'peer';
  name.textContent = displayName(id);
  const preview = document.createElement('span');
  preview.className = 'preview';
  fillPreview(preview, conversation);
  button.append(conversationAvatar(id), name, preview);
  const lastTime = conversation.lastMessage?.lastTime;
  if (lastTime) {
    const ms = lastTime * 1000;
    const when = timeElement(ms, listTime(ms, serverNow(), LANG, i18n));
    when.className = 'last-time';
    when.dataset.testid = 'last-time';
    button.append(when);
  }

  const remind = remindTypeOf(conversation);
  if (remind === TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE || remind === TIM.TYPES.MSG_REMIND_DISCARD) {
    // No count: these groups' messages do not call for attention (nor count in the total).
    const quiet = document.createElement('span');
    quiet.className = 'remind-quiet';
    quiet.dataset.testid = 'remind-quiet';
    quiet.dataset.remindType = remind;
    quiet.textContent =
      remind === TIM.TYPES.MSG_REMIND_DISCARD ? gettext('not received') : gettext('muted');
    quiet.title = remindText(remind, i18n);
    quiet.setAttribute('aria-label', remindText(remind, i18n));
    // Unread all the same: a dot, not a count.
    quiet.dataset.unread = String(conversation.unreadCount > 0);
    button.append(quiet);
  } else if (conversation.unreadCount > 0) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.dataset.testid = 'unread';
    badge.textContent = conversation.unreadCount > 99 ? '99+' : String(conversation.unreadCount);
    badge.title = interpolate(gettext('%s unread'), [conversation.unreadCount]);
    button.append(badge);
  }
  button.addEventListener('click', () => openConversation(id));

  const item = document.createElement('li');
  item.append(button);
  convList.decorate(item, button, conversation, listed(id));
  return item;
}

/** A group conversation's messageRemindType; the group list's is the newer one. */
function remindTypeOf(conversation) {
  const group = groupOf(conversation.conversationID);
  return group?.selfInfo?.messageRemindType || conversation.messageRemindType || '';
}

function fillPreview(preview, conversation) {
  const last = conversation.lastMessage;
  if (!last) return;
  if (last.isRevoked) {
    preview.textContent = recallText(last);
    return;
  }
  const spoken = last.type !== TIM.TYPES.MSG_GRP_TIP; // a tip names its own people
  if (conversation.type === TIM.TYPES.CONV_GROUP && spoken && last.fromAccount !== state.me) {
    preview.append(`${nameOf(last.fromAccount, last)}: `);
  }
  const flag = mentionFlag(conversation.groupAtInfoList, i18n);
  if (flag) preview.prepend(flag);
  const groupType = groupOf(conversation.conversationID)?.type;
  appendText(preview, summaryOf(last.type, last.payload, last.messageForShow, groupType));
}

function renderTotal() {
  const total = state.totalUnread;
  el.totalUnread.textContent = total > 99 ? '99+' : String(total);
  el.totalUnread.dataset.count = String(total);
  el.totalUnread.title = interpolate(gettext('%s unread'), [total]);
  el.totalUnread.hidden = total === 0;
  document.title = total > 0 ? `(${total}) ${BASE_TITLE}` : BASE_TITLE;
}

// --- rendering: messages ---

function storeOf(conversationID) {
  let store = state.stores.get(conversationID);
  if (!store) {
    store = {messages: [], nextReqMessageID: '', isCompleted: false, loaded: false, loading: false};
    state.stores.set(conversationID, store);
  }
  return store;
}

/**
 * Redraw the open conversation. `mode`: 'bottom' scrolls to the newest message;
 * 'keep' keeps what is on screen where it is while rows are added above it;
 * 'auto' follows new messages only when the reader was already at the bottom.
 */
function renderMessages(mode = 'auto') {
  const list = el.messageList;
  const fromBottom = list.scrollHeight - list.scrollTop;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const store = state.activeID ? storeOf(state.activeID) : null;
  const messages = store?.messages ?? [];
  const group = state.activeID ? isGroupID(state.activeID) : false;

  const started = startedPlayers(list);
  const rows = [];
  let previous = null;
  for (const message of messages) {
    const ms = message.time * 1000;
    if (startsNewDay(previous, ms)) rows.push(daySeparator(ms));
    previous = ms;
    const row = messageRow(message, group);
    const kept = started.get(row.dataset.messageId);
    if (kept) row.querySelector(kept.localName)?.replaceWith(kept);
    rows.push(row);
  }
  if (store?.loading) rows.unshift(historyRow());
  // In place, so the live region reads only what arrived ('auto'); not a conversation
  // opened, its history loaded, nor the reader's own message sent ('bottom', 'keep').
  const opened = list.dataset.shows !== (state.activeID ?? '');
  updateRows(list, rows, {quiet: opened || mode !== 'auto'});
  list.dataset.shows = state.activeID ?? '';
  el.noMessages.hidden = rows.length > 0;
  el.noMessages.textContent = state.activeID
    ? gettext('No messages yet. Say hello!')
    : gettext('Choose a conversation or start a new one.');

  const last = messages.at(-1);
  if (mode === 'keep') list.scrollTop = list.scrollHeight - fromBottom;
  else if (mode === 'bottom' || nearBottom || last?.status === 'unSend') {
    list.scrollTop = list.scrollHeight;
  }
  expireRevokeButtons();
}

/**
 * The video and voice players on the page that someone started, by message ID. Each
 * render builds its rows afresh, and a player taken out of the page stops; these are
 * moved into their new rows instead, within the same task, so a message arriving
 * neither stops one nor sends it back to 0:00. One never started is left to be
 * replaced: its new row carries a freshly signed link.
 */
function startedPlayers(list) {
  const started = new Map();
  for (const player of list.querySelectorAll('video, audio')) {
    const id = player.closest('[data-message-id]')?.dataset.messageId;
    if (id && (!player.paused || player.currentTime > 0)) started.set(id, player);
  }
  return started;
}

/** At midnight "Today" becomes "Yesterday": redraw what says either. */
function redrawAtMidnight() {
  clearTimeout(state.midnightTimer);
  state.midnightTimer = setTimeout(() => {
    renderConversations();
    renderMessages('auto');
    redrawAtMidnight();
  }, untilNextDay(serverNow()) + 1000);
}

/** The line above a day's first message: "Today", "Yesterday" or its date. */
function daySeparator(ms) {
  const row = document.createElement('li');
  row.className = 'day-separator';
  row.dataset.testid = 'day-separator';
  const time = document.createElement('time');
  time.dateTime = dayKey(ms);
  time.textContent = dayLabel(ms, serverNow(), LANG, i18n);
  row.append(time);
  return row;
}

/** A message's time of day, with its full date and time on hover. */
function timeElement(ms, text) {
  const time = document.createElement('time');
  time.dateTime = new Date(ms).toISOString();
  time.title = fullDateTime(ms, LANG);
  time.textContent = text;
  return time;
}

function historyRow() {
  const row = document.createElement('li');
  row.className = 'history';
  row.dataset.testid = 'history-loading';
  row.textContent = gettext('Loading earlier messages…');
  return row;
}

function messageRow(message, group) {
  const row = document.createElement('li');
  row.className = `message-row ${message.flow}`;
  row.dataset.testid = 'message-row';
  row.dataset.messageId = message.ID;
  row.dataset.status = message.status;

  if (message.isRevoked) {
    row.classList.add('recalled');
    const tip = document.createElement('p');
    tip.className = 'recalled-tip';
    tip.dataset.testid = 'recalled';
    tip.textContent = recallText(message);
    row.append(tip);
    return row;
  }

  if (message.type === TIM.TYPES.MSG_GRP_TIP) {
    row.className = 'message-row tip';
    row.dataset.testid = 'group-tip';
    const groupType = groupOf(message.conversationID)?.type ?? '';
    row.textContent = tipText(message.payload, i18n, {groupType, nameOf});
    return row;
  }
  if (message.type === TIM.TYPES.MSG_GRP_SYS_NOTICE) return noticeRow(row, message);

  // Who wrote it: their avatar beside it (a click shows their profile), their name above
  // it in a group.
  const from = message.from || state.me;
  const name = nameOf(from, message);
  const avatar = document.createElement('button');
  avatar.type = 'button';
  avatar.className = 'message-avatar';
  avatar.dataset.testid = 'message-avatar';
  avatar.setAttribute('aria-label', interpolate(gettext('Profile of %s'), [name]));
  avatar.tabIndex = -1; // one tab stop per message is enough; the head and member list have it too
  avatar.append(avatarElement({userID: from, name, url: people.avatarOf(from, message.avatar)}));
  avatar.addEventListener('click', () => profiles.openProfile(from));
  row.classList.add('with-avatar');
  row.append(avatar);
  if (group && message.flow === 'in') {
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.dataset.testid = 'sender';
    sender.textContent = name;
    row.append(sender);
  }

  // The bubble holds the message and nothing else, so its textContent is the message.
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.testid = 'message';
  bubble.dataset.flow = message.flow;
  bubble.dataset.type = message.type;
  fillBubble(bubble, message);

  row.append(bubble);
  actions.decorate(row, bubble, message);
  if (message.status === 'unSend' && state.uploads.has(message.ID)) {
    row.append(uploadStrip(state.uploads.get(message.ID), () => cancelUpload(message), i18n));
  }
  row.append(messageMeta(message));
  return row;
}

function fillBubble(bubble, message) {
  const {payload} = message;
  switch (message.type) {
    case TIM.TYPES.MSG_TEXT:
      appendMentionText(bubble, payload.text, message.atUserList);
      break;
    case TIM.TYPES.MSG_FACE: {
      const face = faceAt(payload.index);
      if (face) {
        bubble.classList.add('face');
        bubble.append(emojiElement(face));
      } else {
        bubble.textContent = payload.data || gettext('[Sticker]');
      }
      break;
    }
    case TIM.TYPES.MSG_CUSTOM:
      bubble.classList.add('custom');
      bubble.textContent = payload.description || gettext('[Custom message]');
      break;
    default:
      if (!fillMediaBubble(bubble, message, i18n, {openImage})) {
        bubble.textContent = gettext('[Unsupported message]');
      }
  }
}

function messageMeta(message) {
  const meta = document.createElement('div');
  meta.className = 'meta';
  const ms = message.time * 1000;
  meta.append(timeElement(ms, timeOfDay(ms, LANG)));
  const tick = tickElement(message, i18n);
  if (tick) meta.append(' ', tick);

  if (message.status === 'unSend') {
    // The SDK holds it until the connection is back; say so rather than "sending".
    const pending = document.createElement('span');
    pending.className = 'pending';
    pending.dataset.testid = 'pending';
    pending.textContent =
      state.netState === TIM.TYPES.NET_STATE_CONNECTED
        ? gettext('Sending…')
        : gettext('Waiting for the connection…');
    meta.append(' · ', pending);
  }
  if (message.status === 'fail') {
    const failed = document.createElement('span');
    failed.className = 'failed';
    failed.textContent = gettext('Not sent');
    const why = state.failures.get(message.ID);
    if (why) {
      const reason = document.createElement('span');
      reason.className = 'failed-reason';
      reason.dataset.testid = 'send-error';
      reason.textContent = why;
      failed.append(': ', reason);
    }
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'link';
    retry.dataset.testid = 'retry';
    retry.textContent = gettext('Retry');
    retry.addEventListener('click', () => resend(message, retry));
    meta.append(' · ', failed, ' ', retry);
  }

  const revokeUntil = message.time * 1000 + REVOKE_WINDOW_MS;
  if (message.flow === 'out' && message.status === 'success' && serverNow() < revokeUntil) {
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.className = 'link';
    revoke.dataset.testid = 'revoke';
    revoke.dataset.until = String(revokeUntil);
    revoke.textContent = gettext('Recall');
    revoke.title = gettext('Recall this message for everyone');
    revoke.addEventListener('click', () => revokeMessage(message, revoke));
    meta.append(' · ', revoke);
  }
  return meta;
}

/** Remove the recall controls whose window has passed; wake up for the next one. */
function expireRevokeButtons() {
  clearTimeout(state.revokeTimer);
  state.revokeTimer = null;
  const now = serverNow();
  let next = Infinity;
  for (const button of el.messageList.querySelectorAll('[data-testid="revoke"]')) {
    const until = Number(button.dataset.until);
    if (until <= now) {
      button.previousSibling?.remove(); // its ' · '
      button.remove();
    } else {
      next = Math.min(next, until);
    }
  }
  if (next !== Infinity) state.revokeTimer = setTimeout(expireRevokeButtons, next - now + 50);
}

function renderActive(mode = 'bottom') {
  if (!state.activeID) panes.closed();
  renderHead();
  renderMessages(mode);
  renderConversations();
  updateComposer();
  renderPanel();
}

/** The open conversation's head: its avatar and name; a C2C peer's profile and block controls. */
function renderHead() {
  const id = state.activeID;
  el.title.textContent = id ? displayName(id) : gettext('No conversation open');
  renderTyping();
  el.headAvatar.hidden = !id;
  const peer = id && !isGroupID(id) && !isSystemID(id) ? targetOf(id).to : null;
  el.peerProfile.hidden = !peer;
  profiles.showPeer(peer);
  if (!id) return;
  el.headAvatar.replaceChildren(conversationAvatar(id));
  const label = peer ? gettext('Profile of %s') : gettext('Group info of %s');
  el.headAvatar.setAttribute('aria-label', interpolate(label, [displayName(id)]));
  el.headAvatar.disabled = !peer && !groupOf(id);
}

/** A name or avatar changed (PROFILE_UPDATED, a profile fetched) or the blacklist did. */
function onPeopleChanged() {
  renderHead();
  renderConversations();
  renderMessages('auto');
  renderMembers();
}

/** Redraw only the open panel's member list: its forms may be half filled in. */
function renderMembers() {
  const members = el.groupPanelBody.querySelector('.member-block');
  const group = groupOf(state.activeID);
  if (members && group && state.panelOpen) members.replaceWith(memberBlock(group));
}

// --- actions: conversations and history ---

function openConversation(conversationID, {focus = true} = {}) {
  if (el.status.dataset.kind === 'error' && state.ready) setStatus(''); // it was about the old one
  if (conversationID !== state.activeID) typingSender.stop();
  state.activeID = conversationID;
  state.opened = true;
  mentionPicker?.reset();
  actions.closeMenu({focus: false});
  actions.showBar();
  renderActive('bottom');
  if (state.ready) {
    if (state.panelOpen && groupOf(conversationID)) loadMembers(groupOf(conversationID).groupID);
    if (isSystemID(conversationID)) refreshApplications();
    markRead(conversationID);
    if (!storeOf(conversationID).loaded) loadHistory(conversationID);
    if (!listed(conversationID) && !state.profiles.has(conversationID)) {
      fetchProfile(conversationID);
    }
  }
  if (focus) panes.showChat();
}

function markRead(conversationID) {
  state.tim.setMessageRead({conversationID}).catch(() => {});
}

/** Name a conversation the list does not have yet; a user that does not exist closes it. */
async function fetchProfile(conversationID) {
  try {
    const {data} = await state.tim.getConversationProfile(conversationID);
    state.profiles.set(conversationID, data.conversation);
  } catch (error) {
    if (state.activeID !== conversationID) return;
    showError(error);
    const gone = [
      TIM.ERROR.C2C_INVALID_RECEIVER,
      TIM.ERROR.GROUP_NOT_FOUND,
      TIM.ERROR.NO_PERMISSION,
    ];
    if (gone.includes(error.code)) {
      state.activeID = null;
    }
  }
  if (state.activeID === conversationID || state.activeID === null) renderActive('auto');
}

/**
 * Fetch the page of history before what the store holds (the newest page the
 * first time), and put it in front of what is there.
 */
async function loadHistory(conversationID) {
  const store = storeOf(conversationID);
  if (store.loading || (store.loaded && store.isCompleted)) return;
  const first = !store.loaded;
  store.loading = true;
  if (conversationID === state.activeID) renderMessages(first ? 'bottom' : 'keep');
  try {
    const {data} = await state.tim.getMessageList({
      conversationID,
      nextReqMessageID: first ? undefined : store.nextReqMessageID,
      count: PAGE_SIZE,
    });
    mergeHistory(store, data.messageList, first);
    store.nextReqMessageID = data.nextReqMessageID;
    store.isCompleted = data.isCompleted;
    store.loaded = true;
  } catch (error) {
    if (conversationID === state.activeID) showError(error);
  } finally {
    store.loading = false;
  }
  if (conversationID !== state.activeID) return;
  renderMessages(first ? 'bottom' : 'keep');
  fillViewport();
}

function mergeHistory(store, page, first) {
  const inPage = new Set(page.map((m) => m.ID));
  let rest = store.messages.filter((m) => !inPage.has(m.ID));
  if (first) {
    // What arrived before the conversation was opened: keep what is newer than the
    // page (and anything not yet sent); older ones come back as the reader scrolls up.
    const newest = page.at(-1)?.sequence ?? 0;
    rest = rest.filter((m) => m.status !== 'success' || m.sequence > newest);
  }
  store.messages = [...page, ...rest];
}

/** A short history does not scroll, so scrolling up could never ask for more: ask now. */
function fillViewport() {
  const list = el.messageList;
  const store = state.activeID ? storeOf(state.activeID) : null;
  const scrolls = list.scrollHeight > list.clientHeight + LOAD_MORE_PX;
  if (store?.loaded && !store.isCompleted && !scrolls) {
    loadHistory(state.activeID);
  }
}

function onScroll() {
  if (!state.activeID || !state.ready) return;
  if (el.messageList.scrollTop < LOAD_MORE_PX && storeOf(state.activeID).loaded) {
    loadHistory(state.activeID);
  }
}

/**
 * Add messages to their conversations' stores, once each (by ID). A message from
 * the server goes where its sequence puts it among the ones the server numbered, so
 * a catch-up after a reconnect, whose messages are older than a push that overtook
 * them, still reads in order; the page's own unsent ones stay below.
 */
function addMessages(messages) {
  for (const message of messages) {
    const store = storeOf(message.conversationID);
    const at = store.messages.findIndex((m) => m.ID === message.ID);
    if (at === -1) store.messages.splice(placeOf(store.messages, message), 0, message);
    // A send whose answer was lost reached the server after all (a catch-up after
    // the reconnect brought it back): show the stored one, no retry needed.
    else if (store.messages[at].status === 'fail' && message.status === 'success') {
      store.messages[at] = message;
    }
  }
}

/** Where `message` goes in `messages`: new ones of the page's own go last. */
function placeOf(messages, message) {
  if (message.status !== 'success') return messages.length;
  let at = messages.length;
  while (at > 0) {
    const before = messages[at - 1];
    if (before.status === 'success' && before.sequence < message.sequence) break;
    at -= 1;
  }
  return at;
}

// --- actions: sending, retrying, recalling ---

async function sendText() {
  const text = el.messageInput.value;
  if (!text.trim() || !state.ready || !state.activeID) return;
  if (textSize(text, MAX_MESSAGE_BYTES).over) {
    onComposerInput(); // says why; the text stays to be shortened
    el.messageInput.focus();
    return;
  }
  if (el.status.dataset.kind === 'error') setStatus('');
  let message;
  const atUserList = isGroupID(state.activeID) ? mentionPicker.atUserList() : [];
  try {
    const target = targetOf(state.activeID);
    const cloudCustomData = actions.takeReply(state.activeID);
    message = atUserList.length
      ? state.tim.createTextAtMessage({...target, payload: {text, atUserList}, cloudCustomData})
      : state.tim.createTextMessage({...target, payload: {text}, cloudCustomData});
  } catch (error) {
    showError(error);
    return;
  }
  typingSender.stop();
  el.messageInput.value = '';
  mentionPicker.reset();
  onComposerInput();
  closeEmojiPicker();
  addMessages([message]);
  renderMessages('bottom');
  await settleSend(message, state.tim.sendMessage(message));
}

async function resend(message, button) {
  button.disabled = true;
  if (el.status.dataset.kind === 'error') setStatus('');
  state.failures.delete(message.ID);
  if (isMedia(message)) state.uploads.set(message.ID, 0);
  const sending = state.tim.resendMessage(message);
  if (message.conversationID === state.activeID) renderMessages('auto'); // shows "Sending…"
  await settleSend(message, sending);
}

/** Wait for a send; say why it failed, under the message and in the status line. */
async function settleSend(message, sending) {
  try {
    await sending;
  } catch (error) {
    if (error.data?.cancelled) {
      forgetMessage(message);
    } else if (error.code === TIM.ERROR.MESSAGE_TOO_LONG && message.type === TIM.TYPES.MSG_TEXT) {
      // Never sendable: not a failed message to retry, but a text to shorten.
      forgetMessage(message);
      if (!el.messageInput.value) el.messageInput.value = message.payload.text;
      onComposerInput();
      showError(error);
    } else {
      state.failures.set(message.ID, errorText(error, i18n));
      showError(error);
    }
  } finally {
    state.uploads.delete(message.ID);
  }
  if (message.conversationID === state.activeID) renderMessages('auto');
}

// --- actions: images, files, voice and video ---

function isMedia(message) {
  return [
    TIM.TYPES.MSG_IMAGE,
    TIM.TYPES.MSG_FILE,
    TIM.TYPES.MSG_AUDIO,
    TIM.TYPES.MSG_VIDEO,
  ].includes(message.type);
}

/**
 * Send one file to the open conversation: `create` is the SDK's create*Message name.
 * The message shows at once with its preview and a progress bar; a file the SDK
 * refuses (type, size) is said in the status line and sends nothing.
 */
async function sendMedia(create, file, conversationID = state.activeID) {
  if (!state.ready || !conversationID) return;
  if (el.status.dataset.kind === 'error') setStatus('');
  let message;
  try {
    message = state.tim[create]({
      ...targetOf(conversationID),
      payload: {file},
      onProgress: (percent) => showProgress(message, percent),
    });
  } catch (error) {
    showError(error);
    return;
  }
  state.uploads.set(message.ID, 0);
  addMessages([message]);
  if (conversationID === state.activeID) renderMessages('bottom');
  await settleSend(message, state.tim.sendMessage(message));
}

/** An image goes as an image message (a thumbnail on the other side), anything else as a file. */
function sendFiles(files) {
  for (const file of files) {
    sendMedia(IMAGE_TYPES.includes(file.type) ? 'createImageMessage' : 'createFileMessage', file);
  }
}

function showProgress(message, percent) {
  if (!message || !state.uploads.has(message.ID)) return;
  state.uploads.set(message.ID, percent);
  const row = el.messageList.querySelector(`[data-message-id="${CSS.escape(message.ID)}"]`);
  const strip = row?.querySelector('[data-testid="upload"]');
  if (strip) setUploadProgress(strip, percent);
}

async function cancelUpload(message) {
  try {
    await state.tim.cancelUploadMessage(message);
  } catch {
    // Its files were already up: the message is on its way and stays.
  }
}

/** A cancelled upload leaves no message: take it off the page. */
function forgetMessage(message) {
  const store = storeOf(message.conversationID);
  store.messages = store.messages.filter((m) => m !== message);
  state.failures.delete(message.ID);
}

function openImage(payload) {
  const large = imageVersion(payload, 2);
  const original = imageVersion(payload, 0);
  el.lightboxImage.src = large?.url ?? '';
  el.lightboxOriginal.href = original?.url ?? '';
  el.lightbox.showModal();
}

/** The record button: start, or stop and send. */
async function toggleRecording() {
  if (state.recorder) {
    const recorder = state.recorder;
    const conversationID = state.recordingFor;
    endRecording();
    const recording = await recorder.stop();
    await sendMedia('createAudioMessage', recording, conversationID);
    return;
  }
  const recorder = new VoiceRecorder();
  try {
    await recorder.start();
  } catch (error) {
    console.warn('cannot record', error);
    setStatus(gettext('The microphone cannot be used. Check the browser\'s permission.'), 'error');
    return;
  }
  state.recorder = recorder;
  state.recordingFor = state.activeID;
  el.record.setAttribute('aria-pressed', 'true');
  el.record.title = gettext('Stop and send');
  el.record.setAttribute('aria-label', gettext('Stop and send'));
  el.recording.hidden = false;
  el.recordTimer.textContent = clockText(0);
  state.recordTimer = setInterval(() => {
    el.recordTimer.textContent = clockText(Math.floor(recorder.elapsed / 1000));
  }, 250);
}

function cancelRecording() {
  if (!state.recorder) return;
  state.recorder.cancel();
  endRecording();
}

function endRecording() {
  clearInterval(state.recordTimer);
  state.recordTimer = null;
  state.recorder = null;
  el.recording.hidden = true;
  el.record.setAttribute('aria-pressed', 'false');
  el.record.title = gettext('Record a voice message');
  el.record.setAttribute('aria-label', gettext('Record a voice message'));
}

async function revokeMessage(message, button = null) {
  if (button) button.disabled = true;
  try {
    await state.tim.revokeMessage(message);
  } catch (error) {
    showError(error);
    if (button) button.disabled = false;
    return;
  }
  if (message.conversationID === state.activeID) renderMessages('auto');
}

// --- actions: groups ---

function showGroupForm(show) {
  el.newGroup.hidden = !show;
  el.newGroupToggle.setAttribute('aria-expanded', String(show));
  if (show) el.groupName.focus();
}

async function createGroup() {
  const name = el.groupName.value.trim();
  if (!name || !state.ready) return;
  // Commas (either width) or spaces separate the IDs; the creator is in the group anyway.
  const ids = el.groupMembers.value.split(/[\s,，]+/).filter((id) => id && id !== state.me);
  const memberList = [...new Set(ids)].map((userID) => ({userID}));
  const type = el.groupType.value;
  const options = {name, type, memberList};
  // A work group is joined by invitation only: it has no join option.
  if (type !== TIM.TYPES.GRP_WORK) options.joinOption = el.groupJoinOption.value;
  el.createGroup.disabled = true;
  try {
    const {data} = await state.tim.createGroup(options);
    const {group} = data;
    // The creator of an AVChatRoom is not in it until it joins: join at once, to talk.
    if (group.type === TIM.TYPES.GRP_AVCHATROOM) {
      await state.tim.joinGroup({groupID: group.groupID, type: group.type});
    }
    const conversationID = `${TIM.TYPES.CONV_GROUP}${group.groupID}`;
    state.profiles.set(conversationID, {
      conversationID,
      type: TIM.TYPES.CONV_GROUP,
      unreadCount: 0,
      lastMessage: null,
      groupProfile: {
        groupID: group.groupID,
        name: group.name,
        type: group.type,
        avatar: group.avatar,
      },
    });
    el.newGroup.reset();
    el.groupJoinOption.disabled = true;
    showGroupForm(false);
    openConversation(conversationID);
  } catch (error) {
    showError(error);
  } finally {
    el.createGroup.disabled = false;
  }
}

// --- groups: notices and join applications ---

function applicationKey(groupID, applicant) {
  return `${groupID}\n${applicant}`;
}

/** A system notice: its line, the applicant's message, and Agree / Reject while it waits. */
function noticeRow(row, message) {
  const {payload} = message;
  row.className = 'message-row notice';
  row.dataset.testid = 'group-notice';
  row.dataset.operationType = String(payload.operationType);
  const text = document.createElement('p');
  text.className = 'notice-text';
  text.textContent = noticeText(payload, i18n);
  row.append(text);
  if (payload.handleMessage) {
    const note = document.createElement('p');
    note.className = 'notice-message';
    note.dataset.testid = 'notice-message';
    note.textContent = payload.handleMessage;
    row.append(note);
  }
  const groupID = payload.groupProfile?.groupID ?? '';
  const pending =
    payload.operationType === NOTICE_JOIN_APPLICATION &&
    state.applications.has(applicationKey(groupID, payload.operatorID));
  if (pending) {
    const actions = document.createElement('div');
    actions.className = 'notice-actions';
    const agree = actionButton(gettext('Agree'), 'agree', () =>
      handleApplication(message, 'Agree', actions),
    );
    agree.classList.add('primary');
    const reject = actionButton(gettext('Reject'), 'reject', () =>
      handleApplication(message, 'Reject', actions),
    );
    actions.append(agree, reject);
    row.append(actions);
  }
  row.append(messageMeta(message));
  return row;
}

/** A button (type=button) with a label, a testid and what a click does. */
function actionButton(label, testid, onClick, className = '') {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.dataset.testid = testid;
  if (className) button.className = className;
  button.addEventListener('click', onClick);
  return button;
}

/** Which join applications still wait for this account (owner or admin of their group). */
async function refreshApplications() {
  try {
    const {data} = await state.tim.getGroupApplicationList();
    state.applications = new Set(
      data.applicationList.map((a) => applicationKey(a.groupID, a.applicant)),
    );
  } catch (error) {
    console.warn('could not fetch the join applications', error);
    return;
  }
  if (state.activeID && isSystemID(state.activeID)) renderMessages('auto');
}

async function handleApplication(message, handleAction, actions) {
  for (const button of actions.querySelectorAll('button')) button.disabled = true;
  try {
    await state.tim.handleGroupApplication({handleAction, message});
    setStatus(
      handleAction === 'Agree' ? gettext('Request accepted.') : gettext('Request rejected.'),
    );
  } catch (error) {
    showError(error);
  }
  // Handled here or, for 10024, by someone else: either way it waits no more.
  await refreshApplications();
}

function onGroupSystemNotice({data: {type}}) {
  if (type === NOTICE_JOIN_APPLICATION) refreshApplications();
}

// --- groups: finding and joining ---

async function findGroup() {
  const groupID = el.findGroupID.value.trim();
  if (!groupID || !state.ready) return;
  el.foundGroup.hidden = false;
  el.foundGroup.replaceChildren(gettext('Searching…'));
  let group;
  try {
    ({group} = (await state.tim.searchGroupByID(groupID)).data);
  } catch (error) {
    const text =
      error.code === TIM.ERROR.GROUP_NOT_FOUND
        ? gettext('No group has that ID, or it cannot be found.')
        : errorText(error, i18n);
    el.foundGroup.replaceChildren(text);
    el.foundGroup.dataset.kind = 'error';
    return;
  }
  el.foundGroup.dataset.kind = '';
  renderFoundGroup(group);
}

function renderFoundGroup(group) {
  const name = document.createElement('p');
  name.className = 'found-name';
  name.dataset.testid = 'found-group-name';
  name.textContent = group.name || group.groupID;
  const facts = document.createElement('p');
  facts.className = 'found-facts';
  facts.textContent = interpolate(
    ngettext('%(type)s · %(count)s member', '%(type)s · %(count)s members', group.memberCount),
    {type: groupTypeText(group.type, i18n), count: group.memberCount},
    true,
  );
  const parts = [name, facts];
  const conversationID = `${TIM.TYPES.CONV_GROUP}${group.groupID}`;
  if (state.groups.has(group.groupID)) {
    parts.push(actionButton(gettext('Open'), 'found-group-open', () => openConversation(conversationID)));
  } else if (group.joinOption === TIM.TYPES.JOIN_OPTIONS_DISABLE_APPLY) {
    parts.push(gettext('This group does not take new members.'));
  } else {
    const asks = group.joinOption === TIM.TYPES.JOIN_OPTIONS_NEED_PERMISSION;
    let note = null;
    if (asks) {
      const label = document.createElement('label');
      label.htmlFor = 'apply-message';
      label.textContent = gettext('Message to the admins');
      note = document.createElement('input');
      note.type = 'text';
      note.id = 'apply-message';
      note.maxLength = 100;
      note.dataset.testid = 'apply-message';
      parts.push(label, note);
    }
    const join = actionButton(asks ? gettext('Ask to join') : gettext('Join'), 'join-group', () =>
      joinGroup(group, note, join),
    );
    join.classList.add('primary');
    parts.push(join);
  }
  el.foundGroup.replaceChildren(...parts);
}

async function joinGroup(group, note, button) {
  button.disabled = true;
  const options = {groupID: group.groupID};
  if (note?.value.trim()) options.applyMessage = note.value.trim();
  let status;
  try {
    ({status} = (await state.tim.joinGroup(options)).data);
  } catch (error) {
    showError(error);
    button.disabled = false;
    return;
  }
  if (status === TIM.TYPES.JOIN_STATUS_WAIT_APPROVAL) {
    const sent = document.createElement('p');
    sent.dataset.testid = 'application-sent';
    sent.textContent = gettext('Application sent. You will be notified when it is handled.');
    el.foundGroup.replaceChildren(sent);
    return;
  }
  el.foundGroup.hidden = true;
  el.findGroup.reset();
  openConversation(`${TIM.TYPES.CONV_GROUP}${group.groupID}`);
}

// --- groups: the panel of the open group ---

function togglePanel() {
  state.panelOpen = !state.panelOpen;
  renderPanel();
  if (state.panelOpen) loadMembers(groupOf(state.activeID)?.groupID);
}

/** Show or hide the panel and its toggle for the open conversation, and fill it. */
function renderPanel() {
  const group = groupOf(state.activeID);
  el.panelToggle.hidden = !group;
  const open = Boolean(group && state.panelOpen);
  el.panelToggle.setAttribute('aria-expanded', String(open));
  el.groupPanel.hidden = !open;
  root.classList.toggle('with-panel', open);
  if (!open) return;
  const controls = groupControls(group);
  const parts = [groupProfileBlock(group)];
  if (controls.editProfile) parts.push(profileForm(group));
  if (controls.muteAll) {
    const muted = group.muteAllMembers;
    const label = muted ? gettext('Unmute everyone') : gettext('Mute everyone');
    const button = actionButton(label, 'mute-all', () =>
      groupAction(() =>
        state.tim.updateGroupProfile({groupID: group.groupID, muteAllMembers: !muted}),
      ),
    );
    button.setAttribute('aria-pressed', String(muted));
    parts.push(button);
  }
  if (controls.invite) parts.push(inviteForm(group));
  parts.push(remindControl(group), nameCardForm(group), memberBlock(group));
  const leave = document.createElement('div');
  leave.className = 'panel-actions';
  if (controls.quit) {
    leave.append(
      actionButton(gettext('Leave group'), 'quit-group', () => {
        if (window.confirm(gettext('Leave this group?'))) {
          groupAction(() => state.tim.quitGroup(group.groupID));
        }
      }, 'danger'),
    );
  }
  if (controls.dismiss) {
    leave.append(
      actionButton(gettext('Dismiss group'), 'dismiss-group', () => {
        if (window.confirm(gettext('Dismiss this group for everyone? Its messages will be gone.'))) {
          groupAction(() => state.tim.dismissGroup(group.groupID));
        }
      }, 'danger'),
    );
  }
  parts.push(leave);
  // A redraw (a group update, another member's change) keeps what is being typed.
  const typing = [...el.groupPanelBody.querySelectorAll('form:not([data-sent]) input')].filter(
    (input) => input.id && input.value !== input.defaultValue,
  );
  const focused = el.groupPanelBody.contains(document.activeElement) ? document.activeElement.id : '';
  el.groupPanelBody.replaceChildren(...parts);
  for (const old of typing) {
    const input = el.groupPanelBody.querySelector(`#${CSS.escape(old.id)}`);
    if (input) input.value = old.value;
  }
  if (focused) el.groupPanelBody.querySelector(`#${CSS.escape(focused)}`)?.focus();
}

function groupProfileBlock(group) {
  const block = document.createElement('dl');
  block.className = 'group-profile';
  block.dataset.testid = 'group-profile';
  const facts = [
    [gettext('Name'), group.name, 'group-profile-name'],
    [gettext('Group ID'), group.groupID, 'group-profile-id'],
    [gettext('Type'), groupTypeText(group.type, i18n), 'group-profile-type'],
    [gettext('Members'), String(group.memberCount), 'group-member-count'],
    [gettext('Your role'), roleText(group.selfInfo?.role, i18n), 'group-profile-role'],
  ];
  if (group.notification) facts.push([gettext('Notification'), group.notification, 'group-profile-notification']);
  if (group.muteAllMembers) facts.push([gettext('Muted'), gettext('Everyone but the owner and admins'), 'group-profile-muted']);
  for (const [term, value, testid] of facts) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.testid = testid;
    block.append(dt, dd);
  }
  return block;
}

/** A small form: labelled fields and a submit button; `submit(values)` does the work. */
function panelForm(testid, fields, buttonText, submit) {
  const form = document.createElement('form');
  form.className = 'panel-form';
  form.dataset.testid = testid;
  const inputs = fields.map(({name, label, value = '', maxLength}) => {
    const id = `${testid}-${name}`;
    const labelEl = document.createElement('label');
    labelEl.htmlFor = id;
    labelEl.textContent = label;
    const input = document.createElement('input');
    input.type = 'text';
    input.id = id;
    input.name = name;
    input.defaultValue = value; // what the group has: an input that differs is being edited
    input.autocomplete = 'off';
    if (maxLength) input.maxLength = maxLength;
    input.dataset.testid = id;
    form.append(labelEl, input);
    return input;
  });
  const button = document.createElement('button');
  button.type = 'submit';
  button.textContent = buttonText;
  button.dataset.testid = `${testid}-submit`;
  form.append(button);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    form.dataset.sent = ''; // the next redraw shows the group's values again
    submit(Object.fromEntries(inputs.map((input) => [input.name, input.value.trim()])));
  });
  form.addEventListener('input', () => delete form.dataset.sent);
  return form;
}

/** How this group's messages reach this account (all its sessions): TIM's three remind types. */
function remindControl(group) {
  const block = document.createElement('div');
  block.className = 'remind-control';
  const label = document.createElement('label');
  label.htmlFor = 'remind-type';
  label.textContent = gettext('New messages');
  const select = document.createElement('select');
  select.id = 'remind-type';
  select.dataset.testid = 'remind-type';
  const current = group.selfInfo?.messageRemindType || TIM.TYPES.MSG_REMIND_ACPT_AND_NOTE;
  for (const type of [
    TIM.TYPES.MSG_REMIND_ACPT_AND_NOTE,
    TIM.TYPES.MSG_REMIND_ACPT_NOT_NOTE,
    TIM.TYPES.MSG_REMIND_DISCARD,
  ]) {
    const option = document.createElement('option');
    option.value = type;
    option.textContent = remindText(type, i18n);
    option.selected = type === current;
    select.append(option);
  }
  select.addEventListener('change', () =>
    groupAction(() =>
      state.tim.setMessageRemindType({groupID: group.groupID, messageRemindType: select.value}),
    ).finally(renderPanel), // a refusal puts the choice back
  );
  block.append(label, select);
  if (current === TIM.TYPES.MSG_REMIND_DISCARD) {
    const note = document.createElement('p');
    note.className = 'hint';
    note.dataset.testid = 'remind-discard-note';
    note.textContent = gettext('New messages of this group are not delivered here; they are kept, and show when you reload.');
    block.append(note);
  }
  return block;
}

function profileForm(group) {
  const fields = [
    {name: 'name', label: gettext('Group name'), value: group.name, maxLength: 30},
    {name: 'notification', label: gettext('Notification'), value: group.notification, maxLength: 300},
  ];
  return panelForm('group-profile-form', fields, gettext('Save'), ({name, notification}) => {
    const changes = {};
    if (name && name !== group.name) changes.name = name;
    if (notification !== group.notification) changes.notification = notification;
    if (!Object.keys(changes).length) return;
    groupAction(() => state.tim.updateGroupProfile({groupID: group.groupID, ...changes}));
  });
}

function inviteForm(group) {
  const fields = [{name: 'members', label: gettext('Invite (user IDs, separated by commas)')}];
  return panelForm('invite', fields, gettext('Invite'), ({members}) => {
    const userIDList = [...new Set(members.split(/[\s,，]+/).filter(Boolean))];
    if (!userIDList.length) return;
    groupAction(async () => {
      const {data} = await state.tim.addGroupMember({groupID: group.groupID, userIDList});
      if (data.failureUserIDList.length) {
        setStatus(gettext('Some of those user IDs do not exist.'), 'error');
      }
    }, {members: true});
  });
}

function nameCardForm(group) {
  const fields = [
    {name: 'nameCard', label: gettext('Your name card in this group'), value: group.selfInfo?.nameCard ?? '', maxLength: 50},
  ];
  return panelForm('name-card', fields, gettext('Save'), ({nameCard}) =>
    groupAction(() => state.tim.setGroupMemberNameCard({groupID: group.groupID, nameCard}), {
      members: true,
    }),
  );
}

function memberBlock(group) {
  const heading = document.createElement('h3');
  heading.textContent = gettext('Members');
  const list = document.createElement('ul');
  list.className = 'members';
  list.dataset.testid = 'member-list';
  const members = state.members.get(group.groupID);
  if (!members) {
    const loading = document.createElement('li');
    loading.textContent = gettext('Loading members…');
    list.append(loading);
  } else {
    list.append(...members.map((member) => memberItem(group, member)));
  }
  const block = document.createElement('section');
  block.className = 'member-block';
  block.append(heading, list);
  return block;
}

function memberItem(group, member) {
  const item = document.createElement('li');
  item.className = 'member';
  item.dataset.testid = 'member';
  item.dataset.userId = member.userID;
  item.dataset.role = member.role;
  // The name opens the member's profile.
  const nick = nameOf(member.userID, {nick: member.nick});
  const name = actionButton(
    member.nameCard ? `${member.nameCard} (${nick})` : nick,
    'member-profile',
    () => profiles.openProfile(member.userID),
    'link member-name',
  );
  const avatar = avatarElement({userID: member.userID, name: nick, url: people.avatarOf(member.userID, member.avatar)});
  const role = document.createElement('span');
  role.className = 'member-role';
  role.dataset.testid = 'member-role';
  role.textContent = roleText(member.role, i18n);
  item.append(avatar, name, ' ', role);
  const mutedUntil = member.muteUntil * 1000;
  const muted = mutedUntil > serverNow();
  if (muted) {
    const note = document.createElement('span');
    note.className = 'member-muted';
    note.dataset.testid = 'member-muted';
    note.textContent = interpolate(gettext('muted until %s'), [timeOfDay(mutedUntil, LANG)]);
    item.append(' ', note);
  }

  const controls = memberControls(group, member, state.me);
  const who = nick;
  const act = (run) => groupAction(run, {members: true});
  const {groupID} = group;
  const {userID} = member;
  const tools = document.createElement('div');
  tools.className = 'member-tools';
  if (controls.setAdmin || controls.cancelAdmin) {
    const role = controls.setAdmin ? TIM.TYPES.GRP_MBR_ROLE_ADMIN : TIM.TYPES.GRP_MBR_ROLE_MEMBER;
    const label = controls.setAdmin ? gettext('Make admin') : gettext('Remove admin');
    tools.append(
      actionButton(label, controls.setAdmin ? 'set-admin' : 'cancel-admin', () =>
        act(() => state.tim.setGroupMemberRole({groupID, userID, role})),
      ),
    );
  }
  if (controls.mute) {
    if (muted) {
      tools.append(
        actionButton(gettext('Unmute'), 'unmute', () =>
          act(() => state.tim.setGroupMemberMuteTime({groupID, userID, muteTime: 0})),
        ),
      );
    } else {
      const select = document.createElement('select');
      select.dataset.testid = 'mute-time';
      select.setAttribute('aria-label', interpolate(gettext('How long to mute %s'), [who]));
      for (const seconds of MUTE_CHOICES) {
        const option = document.createElement('option');
        option.value = String(seconds);
        option.textContent = durationText(seconds, i18n);
        select.append(option);
      }
      const mute = actionButton(gettext('Mute'), 'mute', () =>
        act(() => state.tim.setGroupMemberMuteTime({groupID, userID, muteTime: Number(select.value)})),
      );
      tools.append(select, mute);
    }
  }
  if (controls.remove) {
    tools.append(
      actionButton(gettext('Remove'), 'remove-member', () =>
        act(() => state.tim.deleteGroupMember({groupID, userIDList: [userID]})),
      'danger'),
    );
  }
  if (controls.transfer) {
    tools.append(
      actionButton(gettext('Make owner'), 'transfer-owner', () => {
        const question = interpolate(gettext('Make %s the owner of this group? You will be a member.'), [who]);
        if (window.confirm(question)) {
          act(() => state.tim.changeGroupOwner({groupID, newOwnerID: userID}));
        }
      }),
    );
  }
  if (tools.childElementCount) item.append(tools);
  return item;
}

/** Every member of a group (pages of 100), for the panel. */
async function loadMembers(groupID) {
  if (!groupID || !state.ready) return;
  const members = [];
  let offset = 0;
  try {
    do {
      const {data} = await state.tim.getGroupMemberList({groupID, count: 100, offset});
      members.push(...data.memberList);
      offset = data.offset;
    } while (offset && members.length < 2000);
  } catch (error) {
    showError(error);
    return;
  }
  state.members.set(groupID, members);
  if (groupOf(state.activeID)?.groupID === groupID) renderMembers();
}

/**
 * Run one of the panel's actions: its error is shown; the group list updates itself
 * (the SDK takes the answer), the member list is fetched again when it may have changed.
 */
async function groupAction(run, {members = false} = {}) {
  if (!state.ready) return;
  if (el.status.dataset.kind === 'error') setStatus('');
  const groupID = groupOf(state.activeID)?.groupID;
  try {
    await run();
  } catch (error) {
    showError(error);
    return;
  }
  if (members) loadMembers(groupID);
}

function onGroupListUpdated({data: groups}) {
  const before = groupOf(state.activeID);
  state.groups = new Map(groups.map((g) => [g.groupID, g]));
  mentionPicker?.refresh(); // a group just made, or a role changed: what "@" offers
  if (before && !groupOf(state.activeID)) {
    // Left, removed or dismissed: the SDK dropped the group and its conversation.
    state.members.delete(before.groupID);
    state.stores.delete(state.activeID);
    state.activeID = null;
    setStatus(interpolate(gettext('You are no longer in %s.'), [before.name || before.groupID]));
    renderActive('auto');
  } else {
    renderConversations();
    renderHead();
  }
  renderPanel();
}

// --- emoji picker (emojipicker.js) and @mentions (mentions.js) ---

let emojiPicker = null;
let mentionPicker = null;
const membersLoading = new Set();

function startPickers() {
  emojiPicker = new EmojiPicker({
    container: el.emojiPicker,
    button: el.emojiButton,
    composer: el.messageInput,
    onPick: insertToken,
    i18n,
  });
  const managers = [TIM.TYPES.GRP_MBR_ROLE_OWNER, TIM.TYPES.GRP_MBR_ROLE_ADMIN];
  mentionPicker = new MentionPicker({
    input: el.messageInput,
    list: el.mentionPicker,
    group: () => {
      const group = groupOf(state.activeID);
      if (!group || !state.ready) return null;
      return {groupID: group.groupID, canAtAll: managers.includes(group.selfInfo?.role)};
    },
    members: (groupID) => state.members.get(groupID) ?? null,
    load: (groupID) => {
      if (membersLoading.has(groupID)) return;
      membersLoading.add(groupID);
      loadMembers(groupID).finally(() => {
        membersLoading.delete(groupID);
        mentionPicker.refresh();
      });
    },
    self: () => state.me,
    i18n,
  });
}

/** Put a token where the cursor is (replacing a selection), the cursor after it. */
function insertToken(token) {
  const input = el.messageInput;
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.setRangeText(token, start, end, 'end');
  onComposerInput(); // setRangeText fires no input event
  closeEmojiPicker();
  input.focus();
}

function closeEmojiPicker() {
  emojiPicker?.close();
}

// --- SDK events ---

function onReady() {
  state.kickedOutType = null;
  state.netState = TIM.TYPES.NET_STATE_CONNECTED;
  showSignedOut(false);
  renderNetBanner();
  setState('ready');
  setStatus('');
  state.totalUnread = state.tim.getTotalUnreadMessageCount();
  renderTotal();
  refreshApplications();
  profiles.start(state.tim, state.me);
  if (state.activeID) openConversation(state.activeID, {focus: false});
}

/**
 * The session ended: kicked out (KICKED_OUT came just before), or the SDK could not
 * log back in after a reconnect. The page says why and offers to sign in again;
 * until then it can neither send nor receive.
 */
function onNotReady() {
  stopRenewal();
  setState('signed-out');
  // The SDK forgot its messages; the next SDK_READY loads them again.
  state.stores.clear();
  state.members.clear();
  profiles.stop();
  setStatus('');
  renderNetBanner();
  showSignedOut(true);
}

function onKickedOut({data: {type}}) {
  state.kickedOutType = type;
  stopRenewal();
  // Signing out of the site (in another tab) ends this page's session too; the server
  // says REST_API_Kick, as for an operator's kick. Which one it was, the site knows.
  if (type === TIM.TYPES.KICKED_OUT_REST_API) {
    fetchCredentials().catch((error) => {
      if (error.status === 401) {
        state.kickedOutType = SIGNED_OUT_OF_SITE;
        if (el.signedOut.hidden === false) showSignedOut(true);
      }
    });
  }
}

/** Why the session ended, as the screen's heading. */
function signedOutReason(type) {
  switch (type) {
    case SIGNED_OUT_OF_SITE:
      return gettext('You signed out');
    case TIM.TYPES.KICKED_OUT_MULT_ACCOUNT:
      return gettext('You signed in on another page');
    case TIM.TYPES.KICKED_OUT_MULT_DEVICE:
      return gettext('You signed in on another device');
    case TIM.TYPES.KICKED_OUT_USERSIG_EXPIRED:
      return gettext('Your session expired');
    case TIM.TYPES.KICKED_OUT_REST_API:
      return gettext('An operator signed you out');
    default:
      return gettext('The chat server ended your session');
  }
}

function showSignedOut(show, failure = '') {
  // Back from it: the composer of the conversation on screen, or starting one.
  const resume = () => (state.activeID && panes.chatShown ? el.messageInput : el.peerInput);
  showOverlay(root, el.signedOut, show, resume);
  el.signedOut.dataset.reason = state.kickedOutType ?? '';
  if (!show) return;
  el.signedOutReason.textContent = signedOutReason(state.kickedOutType);
  el.signedOutHint.textContent =
    failure || gettext('This page no longer sends or receives messages.');
  el.signedOutHint.dataset.kind = failure ? 'error' : 'info';
  el.signInAgain.textContent = gettext('Sign in again');
  el.signInAgain.disabled = false;
  closeEmojiPicker();
  el.signInAgain.focus();
}

async function signInAgain() {
  if (state.kickedOutType === SIGNED_OUT_OF_SITE) {
    window.location.assign(`${root.dataset.loginUrl}?next=${encodeURIComponent(location.pathname)}`);
    return;
  }
  el.signInAgain.disabled = true;
  el.signInAgain.textContent = gettext('Signing in…');
  const failure = await signIn();
  // Success hides the screen when SDK_READY comes; a failure is told on it.
  if (failure) showSignedOut(true, failure);
}

/** The banner while the connection is down; nothing once it is back (or signed out). */
function renderNetBanner() {
  const {netState} = state;
  const down = state.ready && netState !== TIM.TYPES.NET_STATE_CONNECTED;
  el.netBanner.hidden = !down;
  el.netBanner.dataset.state = down ? netState : '';
  if (!down) return;
  el.netBanner.textContent =
    netState === TIM.TYPES.NET_STATE_CONNECTING
      ? gettext('Reconnecting…')
      : gettext('Connection lost. Messages you send will go out when it is back.');
}

function onNetStateChange({data: {state: netState}}) {
  state.netState = netState;
  renderNetBanner();
  if (netState === TIM.TYPES.NET_STATE_CONNECTED) {
    if (el.status.dataset.cause === 'network') setStatus('');
    // A conversation opened while the connection was down could not load its history.
    if (state.ready && state.activeID && !storeOf(state.activeID).loaded) {
      loadHistory(state.activeID);
    }
  }
  // Unsent messages say whether they are on their way or waiting for the connection.
  if (state.activeID && storeOf(state.activeID).messages.some((m) => m.status === 'unSend')) {
    renderMessages('auto');
  }
}

function onMessageReceived({data: received}) {
  // Typing indicators (online-only messages) are never bubbles nor counted; a real
  // message from the peer ends its "typing…".
  for (const message of received) {
    const status = typingStatusOf(message);
    if (message.flow !== 'in' || message.conversationType !== TIM.TYPES.CONV_C2C) continue;
    typingIndicator.note(message.conversationID, status ?? 0);
  }
  const messages = received.filter(isShown);
  if (!messages.length) return;
  notifier.onMessages(messages);
  addMessages(messages);
  // A first message into an empty page opens its conversation: nothing else is on screen.
  // Once the reader has had one open, a message only updates the list and the badges.
  if (state.activeID === null && !state.opened && messages.length) {
    openConversation(messages[0].conversationID, {focus: false});
    return;
  }
  if (messages.some((m) => m.conversationID === state.activeID)) {
    renderMessages('auto');
    const tipped = messages.some(
      (m) => m.conversationID === state.activeID && m.type === TIM.TYPES.MSG_GRP_TIP,
    );
    if (tipped && state.panelOpen) loadMembers(groupOf(state.activeID)?.groupID);
    // Read means seen: a page in a background tab leaves the count for later.
    if (document.visibilityState === 'visible' && panes.chatShown) markRead(state.activeID);
  }
}

function onMessageRevoked({data: messages}) {
  let active = false;
  for (const message of messages) {
    const store = state.stores.get(message.conversationID);
    const at = store?.messages.findIndex((m) => m.ID === message.ID) ?? -1;
    if (at !== -1 && store.messages[at] !== message) {
      Object.assign(store.messages[at], {isRevoked: true, revoker: message.revoker});
    }
    if (message.conversationID === state.activeID) active = true;
  }
  if (active) renderMessages('auto');
}

/** The peer read our messages: their ticks, if they are on screen. */
function onMessageReadByPeer({data: messages}) {
  // In place: the rows stay the same nodes, so the log does not read them out again.
  for (const message of messages) {
    if (message.conversationID !== state.activeID) continue;
    const row = el.messageList.querySelector(`[data-message-id="${CSS.escape(message.ID)}"]`);
    const old = row?.querySelector('[data-testid=read-tick]');
    const tick = tickElement(message, i18n);
    if (old && tick) old.replaceWith(tick);
  }
}

/** Whether the menu offers to recall `message`: one's own, or as a group's owner or admin, within the window. */
function canRecall(message) {
  const group = groupOf(message.conversationID);
  if (group?.type === TIM.TYPES.GRP_AVCHATROOM) return false;
  const role = group?.selfInfo?.role;
  const manager = role === TIM.TYPES.GRP_MBR_ROLE_OWNER || role === TIM.TYPES.GRP_MBR_ROLE_ADMIN;
  const inWindow = serverNow() < message.time * 1000 + REVOKE_WINDOW_MS;
  return !message.isRevoked && inWindow && (message.flow === 'out' || manager);
}

/** Messages deleted for this account, here or on another page of it: off the page. */
function onMessagesDeleted(messages) {
  const list = Array.isArray(messages) ? messages : messages.data;
  for (const message of list) {
    const store = state.stores.get(message.conversationID);
    if (store) store.messages = store.messages.filter((m) => m.ID !== message.ID);
  }
  if (list.some((m) => m.conversationID === state.activeID)) renderMessages('keep');
}

function onConversationListUpdated({data: conversations}) {
  state.conversations = conversations;
  renderConversations();
  renderHead();
  actions.conversationsChanged();
}

function onTotalUnreadUpdated({data: total}) {
  state.totalUnread = total;
  renderTotal();
}

// --- start ---

async function fetchCredentials() {
  const response = await fetch(root.dataset.usersigUrl, {
    credentials: 'same-origin',
    headers: {Accept: 'application/json'},
  });
  if (response.redirected || !response.ok) {
    throw Object.assign(new Error(`usersig: HTTP ${response.status}`), {status: response.status});
  }
  const body = await response.json();
  if (body.code !== 0) throw Object.assign(new Error(body.message), {code: body.code});
  return body.data;
}

/**
 * Log the SDK in with a fresh UserSig from the site (the page's own session is the
 * proof). Returns null, or what went wrong as text for the user.
 */
async function signIn() {
  let credentials;
  try {
    credentials = await fetchCredentials();
  } catch (error) {
    console.error(error);
    return gettext('Could not get your chat credentials. Reload the page.');
  }
  try {
    const {userID, userSig} = credentials;
    const {data} = await state.tim.login({userID, userSig});
    state.me = credentials.userID;
    if (Number.isFinite(data.serverTime)) state.clockSkew = data.serverTime * 1000 - Date.now();
    scheduleRenewal(credentials);
  } catch (error) {
    return interpolate(gettext('Could not sign in to chat (error %s).'), [error.code]);
  }
  return null;
}

/**
 * The site's sigs live a few hours (IM_SITE_USERSIG_EXPIRE): when four fifths of one's
 * life has passed, the page asks the site for a fresh one and hands it to the SDK,
 * with no new login and nothing the user sees. A failed try is tried again shortly,
 * while there is time; a site session that has ended is the sign-out's business.
 */
function scheduleRenewal({expireTime}) {
  stopRenewal();
  if (!Number.isFinite(expireTime)) return;
  const left = expireTime * 1000 - (Date.now() + (state.clockSkew ?? 0));
  state.renewal = setTimeout(renewSig, Math.max(left * 0.8, 1000));
}

function stopRenewal() {
  clearTimeout(state.renewal);
  state.renewal = null;
}

async function renewSig() {
  state.renewal = null;
  try {
    const credentials = await fetchCredentials();
    await state.tim.renewUserSig(credentials.userSig);
    scheduleRenewal(credentials);
  } catch (error) {
    console.warn('could not renew the chat session', error);
    if (error.status !== 401) state.renewal = setTimeout(renewSig, 30_000);
  }
}

async function firstSignIn() {
  setState('loading');
  setStatus(gettext('Connecting…'));
  const failure = await signIn();
  if (failure) {
    setState('error');
    setStatus(failure, 'error');
  }
}

function start() {
  state.tim = TIM.create({SDKAppID: Number(root.dataset.sdkappid)});
  const {tim} = state;
  tim.setLogLevel(2);
  tim.on(TIM.EVENT.SDK_READY, onReady);
  tim.on(TIM.EVENT.SDK_NOT_READY, onNotReady);
  tim.on(TIM.EVENT.MESSAGE_RECEIVED, onMessageReceived);
  tim.on(TIM.EVENT.MESSAGE_REVOKED, onMessageRevoked);
  tim.on(TIM.EVENT.MESSAGE_READ_BY_PEER, onMessageReadByPeer);
  tim.on(TIM.HUTONG_EVENT.MESSAGE_DELETED, onMessagesDeleted);
  tim.on(TIM.EVENT.CONVERSATION_LIST_UPDATED, onConversationListUpdated);
  tim.on(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, onTotalUnreadUpdated);
  tim.on(TIM.EVENT.NET_STATE_CHANGE, onNetStateChange);
  tim.on(TIM.EVENT.KICKED_OUT, onKickedOut);
  tim.on(TIM.EVENT.GROUP_LIST_UPDATED, onGroupListUpdated);
  tim.on(TIM.EVENT.GROUP_SYSTEM_NOTICE_RECEIVED, onGroupSystemNotice);
  tim.on(TIM.EVENT.ERROR, ({data}) => console.warn('TIM error', data));
  profiles.listen(tim);

  el.newChat.addEventListener('submit', (event) => {
    event.preventDefault();
    const peer = el.peerInput.value.trim();
    if (!peer) return;
    el.peerInput.value = '';
    openConversation(`${TIM.TYPES.CONV_C2C}${peer}`);
  });
  new FindPeople({
    dialog: $('find-people'),
    opener: $('find-people-open'),
    url: root.dataset.peopleUrl,
    onPick: (userID) => openConversation(`${TIM.TYPES.CONV_C2C}${userID}`),
    i18n,
  });
  el.newGroupToggle.addEventListener('click', () => showGroupForm(el.newGroup.hidden));
  el.cancelGroup.addEventListener('click', () => showGroupForm(false));
  el.newGroup.addEventListener('submit', (event) => {
    event.preventDefault();
    createGroup();
  });
  el.groupType.addEventListener('change', () => {
    el.groupJoinOption.disabled = el.groupType.value === TIM.TYPES.GRP_WORK;
  });
  el.findGroup.addEventListener('submit', (event) => {
    event.preventDefault();
    findGroup();
  });
  el.panelToggle.addEventListener('click', togglePanel);
  const showPeer = () => profiles.openProfile(targetOf(state.activeID).to);
  el.peerProfile.addEventListener('click', showPeer);
  el.headAvatar.addEventListener('click', () => (groupOf(state.activeID) ? togglePanel() : showPeer()));
  startPickers(); // before the composer's keydown: an open mention picker takes Enter
  el.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendText();
  });
  el.messageInput.addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter breaks the line; Enter that ends an IME composition
    // (typing Chinese) only confirms the characters.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      sendText();
    }
  });
  el.signInAgain.addEventListener('click', signInAgain);
  el.messageList.addEventListener('scroll', onScroll, {passive: true});
  el.emojiButton.addEventListener('click', () => emojiPicker.toggle());
  el.attach.addEventListener('click', () => el.attachInput.click());
  el.attachInput.addEventListener('change', () => {
    sendFiles([...el.attachInput.files]);
    el.attachInput.value = ''; // the same file may be chosen again
  });
  el.attachVideo.addEventListener('click', () => el.videoInput.click());
  el.videoInput.addEventListener('change', () => {
    for (const file of el.videoInput.files) sendMedia('createVideoMessage', file);
    el.videoInput.value = '';
  });
  el.record.addEventListener('click', toggleRecording);
  el.recordCancel.addEventListener('click', cancelRecording);
  el.messageInput.addEventListener('input', onComposerInput);
  el.messageInput.addEventListener('paste', (event) => {
    // A screenshot pasted is an image to send; pasted text stays text.
    const files = [...(event.clipboardData?.files ?? [])];
    if (!files.length) return;
    event.preventDefault();
    sendFiles(files);
  });
  const dropZone = el.messageList.closest('.conversation');
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  dropZone.addEventListener('dragover', (event) => {
    if (!carriesFiles(event) || el.attach.disabled) return;
    event.preventDefault();
    dropZone.classList.add('dropping');
  });
  dropZone.addEventListener('dragleave', (event) => {
    if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove('dropping');
  });
  dropZone.addEventListener('drop', (event) => {
    dropZone.classList.remove('dropping');
    if (!carriesFiles(event) || el.attach.disabled) return;
    event.preventDefault();
    sendFiles([...event.dataTransfer.files]);
  });
  el.lightboxClose.addEventListener('click', () => el.lightbox.close());
  el.lightbox.addEventListener('click', (event) => {
    if (event.target === el.lightbox) el.lightbox.close(); // the backdrop
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !el.emojiPicker.hidden) closeEmojiPicker();
  });
  document.addEventListener('click', (event) => {
    if (el.emojiPicker.hidden) return;
    if (!el.emojiPicker.contains(event.target) && !el.emojiButton.contains(event.target)) {
      closeEmojiPicker();
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.ready && state.activeID && panes.chatShown) {
      markRead(state.activeID);
    }
  });

  redrawAtMidnight();
  renderTotal();
  renderActive();
  firstSignIn();
}

start();
