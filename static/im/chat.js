/**
 * The chat page: a client of tim.js like any page written for TIM.
 *
 * Text from messages and users only ever reaches the page through text nodes
 * (textContent, or emoji.js's spans), never as HTML. Translations come from
 * Django's JavaScript catalog, loaded by a classic <script> before this module
 * (the gettext/interpolate globals).
 */
import TIM from './tim.js';
import {EMOJI, appendText, emojiElement, faceAt} from './emoji.js';

const {gettext, interpolate} = window;

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
  createGroup: $('create-group'),
  cancelGroup: $('cancel-group'),
  conversationList: $('conversation-list'),
  noConversations: $('no-conversations'),
  title: $('conversation-title'),
  messageList: $('message-list'),
  noMessages: $('no-messages'),
  composer: $('composer'),
  emojiButton: $('emoji-button'),
  emojiPicker: $('emoji-picker'),
  messageInput: $('message-input'),
  send: $('send'),
  netBanner: $('net-banner'),
  signedOut: $('signed-out'),
  signedOutReason: $('signed-out-reason'),
  signedOutHint: $('signed-out-hint'),
  signInAgain: $('sign-in-again'),
};

const PAGE_SIZE = 15; // getMessageList's largest page
// The app's recall window; the server has the last word, the page only hides the
// control once it can no longer work.
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
  totalUnread: 0,
  revokeTimer: null,
  netState: TIM.TYPES.NET_STATE_CONNECTED, // the SDK's NET_STATE_CHANGE
  kickedOutType: null, // the last KICKED_OUT's type, until the next sign-in
};

const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  hour: '2-digit',
  minute: '2-digit',
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
  setStatus(errorText(error), 'error');
  if (error?.code === TIM.ERROR.REQUEST_FAILED) el.status.dataset.cause = 'network';
}

function setState(name) {
  root.dataset.state = name;
  state.ready = name === 'ready';
  updateComposer();
}

function updateComposer() {
  const usable = state.ready && state.activeID !== null;
  el.messageInput.disabled = !usable;
  el.send.disabled = !usable;
  el.emojiButton.disabled = !usable;
  if (!usable) closeEmojiPicker();
}

function errorText(error) {
  switch (error?.code) {
    case TIM.ERROR.C2C_INVALID_RECEIVER:
      return gettext('There is no user with that ID.');
    case TIM.ERROR.MESSAGE_TOO_LONG:
      return gettext('This message is too long.');
    case TIM.ERROR.REQUEST_FAILED:
      return gettext('The server cannot be reached. Check your connection and try again.');
    case TIM.ERROR.NOT_INITIALISED:
    case TIM.ERROR.NOT_LOGGED_IN:
    case TIM.ERROR.SESSION_EXPIRED:
    case TIM.ERROR.KICKED_OUT:
      return gettext('You are not signed in to chat. Reload the page.');
    case TIM.ERROR.GROUP_INVALID_PARAMS:
      return gettext('Check the group: its name must be 1 to 30 bytes long.');
    case TIM.ERROR.NO_PERMISSION:
      return gettext('You are not allowed to do that in this group.');
    case TIM.ERROR.GROUP_NOT_FOUND:
      return gettext('This group does not exist.');
    case TIM.ERROR.SENDER_MUTED:
      return gettext('You are muted in this group.');
    case TIM.ERROR.GROUP_MEMBER_ACCOUNT_MISSING:
      return gettext('Some of those user IDs do not exist.');
    case TIM.ERROR.GROUP_ID_IN_USE:
      return gettext('That group ID is already taken.');
    case TIM.ERROR.GROUP_REVOKE_TIME_LIMIT:
    case TIM.ERROR.C2C_REVOKE_TIME_LIMIT:
      return gettext('It is too late to recall this message.');
    case TIM.ERROR.MESSAGE_NOT_REVOCABLE:
    case TIM.ERROR.MESSAGE_NOT_FOUND:
      return gettext('This message cannot be recalled.');
    default:
      return interpolate(gettext('Something went wrong (error %s).'), [error?.code ?? '?']);
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
  const type = isGroupID(conversationID) ? TIM.TYPES.CONV_GROUP : TIM.TYPES.CONV_C2C;
  return (
    listed(conversationID) ??
    state.profiles.get(conversationID) ?? {conversationID, type, unreadCount: 0, lastMessage: null}
  );
}

function displayName(conversationID) {
  const conversation = conversationOf(conversationID);
  const profile = state.profiles.get(conversationID);
  if (isGroupID(conversationID)) {
    // A group that a push just revealed has no name until the SDK fetched it.
    return (
      conversation.groupProfile?.name || profile?.groupProfile?.name || targetOf(conversationID).to
    );
  }
  return (
    conversation.userProfile?.nick ||
    profile?.userProfile?.nick ||
    targetOf(conversationID).to
  );
}

/** "You recalled a message" / "alice recalled a message", for a Message or a lastMessage. */
function recallText({revoker, from, fromAccount, nick}) {
  const sender = from ?? fromAccount;
  const who = revoker || sender;
  if (who === state.me) return gettext('You recalled a message');
  // The recaller's own message shows their nick; an admin's recall only has a userID.
  const name = who === sender ? nick || sender : who;
  return interpolate(gettext('%s recalled a message'), [name]);
}

/** A message's body as short text (conversation previews). Text keeps its tokens. */
function summaryOf(type, payload, fallback = '') {
  switch (type) {
    case TIM.TYPES.MSG_TEXT:
      return payload?.text ?? fallback;
    case TIM.TYPES.MSG_FACE:
      return faceAt(payload?.index)?.token ?? (payload?.data || gettext('[Sticker]'));
    case TIM.TYPES.MSG_CUSTOM:
      return payload?.description || gettext('[Custom message]');
    default:
      return fallback || gettext('[Unsupported message]');
  }
}

// --- rendering: the conversation list ---

function renderConversations() {
  const items = [...state.conversations];
  // A conversation just opened has no message yet, so the SDK does not list it.
  if (state.activeID && !listed(state.activeID)) items.unshift(conversationOf(state.activeID));
  el.conversationList.replaceChildren(...items.map(conversationItem));
  el.noConversations.hidden = items.length > 0;
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
  button.append(name, preview);

  if (conversation.unreadCount > 0) {
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
  return item;
}

function fillPreview(preview, conversation) {
  const last = conversation.lastMessage;
  if (!last) return;
  if (last.isRevoked) {
    preview.textContent = recallText(last);
    return;
  }
  if (conversation.type === TIM.TYPES.CONV_GROUP && last.fromAccount !== state.me) {
    preview.append(`${last.nick || last.fromAccount}: `);
  }
  appendText(preview, summaryOf(last.type, last.payload, last.messageForShow));
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

  const rows = messages.map((message) => messageRow(message, group));
  if (store?.loading) rows.unshift(historyRow());
  list.replaceChildren(...rows);
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

  if (group && message.flow === 'in') {
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.dataset.testid = 'sender';
    sender.textContent = message.nick || message.from;
    row.append(sender);
  }

  // The bubble holds the message and nothing else, so its textContent is the message.
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.testid = 'message';
  bubble.dataset.flow = message.flow;
  bubble.dataset.type = message.type;
  fillBubble(bubble, message);

  row.append(bubble, messageMeta(message));
  return row;
}

function fillBubble(bubble, message) {
  const {payload} = message;
  switch (message.type) {
    case TIM.TYPES.MSG_TEXT:
      appendText(bubble, payload.text);
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
      bubble.textContent = gettext('[Unsupported message]');
  }
}

function messageMeta(message) {
  const meta = document.createElement('div');
  meta.className = 'meta';
  const time = document.createElement('time');
  time.dateTime = new Date(message.time * 1000).toISOString();
  time.textContent = timeFormat.format(new Date(message.time * 1000));
  meta.append(time);

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
  el.title.textContent = state.activeID
    ? displayName(state.activeID)
    : gettext('No conversation open');
  renderMessages(mode);
  renderConversations();
  updateComposer();
}

// --- actions: conversations and history ---

function openConversation(conversationID, {focus = true} = {}) {
  if (el.status.dataset.kind === 'error' && state.ready) setStatus(''); // it was about the old one
  state.activeID = conversationID;
  renderActive('bottom');
  if (state.ready) {
    markRead(conversationID);
    if (!storeOf(conversationID).loaded) loadHistory(conversationID);
    if (!listed(conversationID) && !state.profiles.has(conversationID)) {
      fetchProfile(conversationID);
    }
  }
  if (focus) el.messageInput.focus();
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
  if (el.status.dataset.kind === 'error') setStatus('');
  let message;
  try {
    message = state.tim.createTextMessage({...targetOf(state.activeID), payload: {text}});
  } catch (error) {
    showError(error);
    return;
  }
  el.messageInput.value = '';
  closeEmojiPicker();
  addMessages([message]);
  renderMessages('bottom');
  try {
    await state.tim.sendMessage(message);
  } catch (error) {
    showError(error);
  }
  if (message.conversationID === state.activeID) renderMessages('auto');
}

async function resend(message, button) {
  button.disabled = true;
  if (el.status.dataset.kind === 'error') setStatus('');
  const sending = state.tim.resendMessage(message);
  if (message.conversationID === state.activeID) renderMessages('auto'); // shows "Sending…"
  try {
    await sending;
  } catch (error) {
    showError(error);
  }
  if (message.conversationID === state.activeID) renderMessages('auto');
}

async function revokeMessage(message, button) {
  button.disabled = true;
  try {
    await state.tim.revokeMessage(message);
  } catch (error) {
    showError(error);
    button.disabled = false;
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
  el.createGroup.disabled = true;
  try {
    const {data} = await state.tim.createGroup({name, type: TIM.TYPES.GRP_WORK, memberList});
    const {group} = data;
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
    showGroupForm(false);
    openConversation(conversationID);
  } catch (error) {
    showError(error);
  } finally {
    el.createGroup.disabled = false;
  }
}

// --- emoji picker ---

function buildEmojiPicker() {
  const options = EMOJI.map((face) => {
    const option = document.createElement('button');
    option.type = 'button';
    option.className = 'emoji-option';
    option.dataset.testid = 'emoji-option';
    option.dataset.token = face.token;
    option.title = face.token;
    option.setAttribute('aria-label', face.token);
    option.textContent = face.emoji;
    option.addEventListener('click', () => insertToken(face.token));
    return option;
  });
  el.emojiPicker.replaceChildren(...options);
}

/** Put a token where the cursor is (replacing a selection), the cursor after it. */
function insertToken(token) {
  const input = el.messageInput;
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.setRangeText(token, start, end, 'end');
  closeEmojiPicker();
  input.focus();
}

function toggleEmojiPicker() {
  const open = el.emojiPicker.hidden;
  el.emojiPicker.hidden = !open;
  el.emojiButton.setAttribute('aria-expanded', String(open));
}

function closeEmojiPicker() {
  el.emojiPicker.hidden = true;
  el.emojiButton.setAttribute('aria-expanded', 'false');
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
  if (state.activeID) openConversation(state.activeID, {focus: false});
}

/**
 * The session ended: kicked out (KICKED_OUT came just before), or the SDK could not
 * log back in after a reconnect. The page says why and offers to sign in again;
 * until then it can neither send nor receive.
 */
function onNotReady() {
  setState('signed-out');
  // The SDK forgot its messages; the next SDK_READY loads them again.
  state.stores.clear();
  setStatus('');
  renderNetBanner();
  showSignedOut(true);
}

function onKickedOut({data: {type}}) {
  state.kickedOutType = type;
}

/** Why the session ended, as the screen's heading. */
function signedOutReason(type) {
  switch (type) {
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
  el.signedOut.hidden = !show;
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

function onMessageReceived({data: messages}) {
  addMessages(messages);
  // A first message into an empty page opens its conversation: nothing else is on screen.
  if (state.activeID === null && messages.length) {
    openConversation(messages[0].conversationID, {focus: false});
    return;
  }
  if (messages.some((m) => m.conversationID === state.activeID)) {
    renderMessages('auto');
    // Read means seen: a page in a background tab leaves the count for later.
    if (document.visibilityState === 'visible') markRead(state.activeID);
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

function onConversationListUpdated({data: conversations}) {
  state.conversations = conversations;
  renderConversations();
  if (state.activeID) el.title.textContent = displayName(state.activeID);
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
  if (response.redirected || !response.ok) throw new Error(`usersig: HTTP ${response.status}`);
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
  } catch (error) {
    return interpolate(gettext('Could not sign in to chat (error %s).'), [error.code]);
  }
  return null;
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
  tim.on(TIM.EVENT.CONVERSATION_LIST_UPDATED, onConversationListUpdated);
  tim.on(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, onTotalUnreadUpdated);
  tim.on(TIM.EVENT.NET_STATE_CHANGE, onNetStateChange);
  tim.on(TIM.EVENT.KICKED_OUT, onKickedOut);
  tim.on(TIM.EVENT.ERROR, ({data}) => console.warn('TIM error', data));

  el.newChat.addEventListener('submit', (event) => {
    event.preventDefault();
    const peer = el.peerInput.value.trim();
    if (!peer) return;
    el.peerInput.value = '';
    openConversation(`${TIM.TYPES.CONV_C2C}${peer}`);
  });
  el.newGroupToggle.addEventListener('click', () => showGroupForm(el.newGroup.hidden));
  el.cancelGroup.addEventListener('click', () => showGroupForm(false));
  el.newGroup.addEventListener('submit', (event) => {
    event.preventDefault();
    createGroup();
  });
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
  el.emojiButton.addEventListener('click', toggleEmojiPicker);
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
    if (document.visibilityState === 'visible' && state.ready && state.activeID) {
      markRead(state.activeID);
    }
  });

  buildEmojiPicker();
  renderTotal();
  renderActive();
  firstSignIn();
}

start();
