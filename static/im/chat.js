/**
 * The chat page: a client of tim.js like any page written for TIM.
 *
 * Text from messages and users only ever reaches the page through textContent,
 * never as HTML. Translations come from Django's JavaScript catalog, loaded by a
 * classic <script> before this module (the gettext/interpolate globals).
 */
import TIM from './tim.js';

const {gettext, interpolate} = window;

const root = document.querySelector('[data-testid="chat"]');
const $ = (testid) => root.querySelector(`[data-testid="${testid}"]`);
const el = {
  status: $('status'),
  newChat: $('new-chat'),
  peerInput: $('peer-input'),
  conversationList: $('conversation-list'),
  noConversations: $('no-conversations'),
  title: $('conversation-title'),
  messageList: $('message-list'),
  noMessages: $('no-messages'),
  composer: $('composer'),
  messageInput: $('message-input'),
  send: $('send'),
};

const state = {
  tim: null,
  ready: false,
  conversations: [], // the SDK's list, newest first
  messages: new Map(), // conversationID → Message[] seen since the page loaded
  activeID: null,
};

const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  hour: '2-digit',
  minute: '2-digit',
});

// --- status and state ---

function setStatus(text, kind = 'info') {
  el.status.textContent = text;
  el.status.dataset.kind = kind;
  el.status.hidden = !text;
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
}

function errorText(error) {
  switch (error?.code) {
    case 20003:
      return gettext('There is no user with that ID.');
    case 80002:
      return gettext('This message is too long.');
    case 6010:
      return gettext('The server cannot be reached. Check your connection and try again.');
    case 6013:
    case 6014:
    case 6206:
    case 6208:
      return gettext('You are not signed in to chat. Reload the page.');
    default:
      return interpolate(gettext('Something went wrong (error %s).'), [error?.code ?? '?']);
  }
}

// --- rendering ---

function peerOf(conversationID) {
  return conversationID.replace(/^C2C/, '');
}

function displayName(conversation) {
  const profile = conversation.userProfile;
  return profile?.nick || profile?.userID || peerOf(conversation.conversationID);
}

function renderConversations() {
  const items = [...state.conversations];
  // A chat just started has no message yet, so the SDK does not list it.
  if (state.activeID && !items.some((c) => c.conversationID === state.activeID)) {
    items.unshift({conversationID: state.activeID, unreadCount: 0, lastMessage: null});
  }
  el.conversationList.replaceChildren(...items.map(conversationItem));
  el.noConversations.hidden = items.length > 0;
}

function conversationItem(conversation) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'conversation-item';
  button.dataset.testid = 'conversation';
  button.dataset.conversationId = conversation.conversationID;
  if (conversation.conversationID === state.activeID) button.setAttribute('aria-current', 'true');

  const name = document.createElement('span');
  name.className = 'peer';
  name.textContent = displayName(conversation);
  const preview = document.createElement('span');
  preview.className = 'preview';
  preview.textContent = conversation.lastMessage?.messageForShow ?? '';
  button.append(name, preview);

  if (conversation.unreadCount > 0) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.dataset.testid = 'unread';
    badge.textContent = conversation.unreadCount > 99 ? '99+' : String(conversation.unreadCount);
    badge.title = interpolate(gettext('%s unread'), [conversation.unreadCount]);
    button.append(badge);
  }
  button.addEventListener('click', () => openConversation(conversation.conversationID));

  const item = document.createElement('li');
  item.append(button);
  return item;
}

function renderMessages() {
  const list = el.messageList;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const messages = state.activeID ? state.messages.get(state.activeID) ?? [] : [];
  list.replaceChildren(...messages.map(messageRow));
  el.noMessages.hidden = messages.length > 0;
  el.noMessages.textContent = state.activeID
    ? gettext('No messages yet. Say hello!')
    : gettext('Choose a conversation or start a new one.');
  const last = messages.at(-1);
  if (nearBottom || last?.flow === 'out') list.scrollTop = list.scrollHeight;
}

function messageRow(message) {
  const row = document.createElement('li');
  row.className = `message-row ${message.flow}`;
  row.dataset.status = message.status;

  // The bubble holds the text and nothing else, so its textContent is the message.
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.testid = 'message';
  bubble.dataset.flow = message.flow;
  bubble.textContent =
    message.type === TIM.TYPES.MSG_TEXT ? message.payload.text : gettext('[Unsupported message]');

  const meta = document.createElement('div');
  meta.className = 'meta';
  const time = document.createElement('time');
  time.dateTime = new Date(message.time * 1000).toISOString();
  time.textContent = timeFormat.format(new Date(message.time * 1000));
  meta.append(time);
  if (message.status === 'unSend') meta.append(' · ', gettext('Sending…'));
  if (message.status === 'fail') {
    const failed = document.createElement('span');
    failed.className = 'failed';
    failed.textContent = gettext('Not sent');
    meta.append(' · ', failed);
  }
  row.append(bubble, meta);
  return row;
}

function renderActive() {
  el.title.textContent = state.activeID
    ? peerOf(state.activeID)
    : gettext('No conversation open');
  renderMessages();
  renderConversations();
  updateComposer();
}

// --- actions ---

function openConversation(conversationID, {focus = true} = {}) {
  if (el.status.dataset.kind === 'error' && state.ready) setStatus(''); // it was about the old one
  state.activeID = conversationID;
  renderActive();
  if (state.ready) state.tim.setMessageRead({conversationID}).catch(() => {});
  if (focus) el.messageInput.focus();
}

function addMessage(message) {
  const list = state.messages.get(message.conversationID) ?? [];
  // A message sent from this account's other tab arrives here too; keep one copy.
  if (!list.some((m) => m.ID === message.ID)) list.push(message);
  state.messages.set(message.conversationID, list);
}

async function sendText() {
  const text = el.messageInput.value;
  if (!text.trim() || !state.ready || !state.activeID) return;
  if (el.status.dataset.kind === 'error') setStatus('');
  let message;
  try {
    message = state.tim.createTextMessage({
      to: peerOf(state.activeID),
      conversationType: TIM.TYPES.CONV_C2C,
      payload: {text},
    });
  } catch (error) {
    setStatus(errorText(error), 'error');
    return;
  }
  el.messageInput.value = '';
  addMessage(message);
  renderMessages();
  try {
    await state.tim.sendMessage(message);
    // The server gave the message its final ID; drop a pushed copy that beat the answer.
    const list = state.messages.get(message.conversationID);
    state.messages.set(
      message.conversationID,
      list.filter((m) => m === message || m.ID !== message.ID),
    );
  } catch (error) {
    setStatus(errorText(error), 'error');
  }
  if (message.conversationID === state.activeID) renderMessages();
}

// --- SDK events ---

function onMessageReceived({data: messages}) {
  for (const message of messages) addMessage(message);
  // A first message into an empty page opens its conversation: nothing else is on screen.
  if (state.activeID === null && messages.length) {
    openConversation(messages[0].conversationID, {focus: false});
    return;
  }
  if (messages.some((m) => m.conversationID === state.activeID)) {
    renderMessages();
    state.tim.setMessageRead({conversationID: state.activeID}).catch(() => {});
  }
}

function onConversationListUpdated({data: conversations}) {
  state.conversations = conversations;
  renderConversations();
}

function onNetStateChange({data: {state: netState}}) {
  if (!state.ready) return;
  if (netState === TIM.TYPES.NET_STATE_CONNECTED) setStatus('');
  else setStatus(gettext('Connection lost. Reconnecting…'), 'warning');
}

async function onKickedOut({data: {type}}) {
  if (type === TIM.TYPES.KICKED_OUT_USERSIG_EXPIRED) {
    // The site is still signed in; a fresh sig logs the SDK back in without a reload.
    await signIn();
    return;
  }
  setStatus(gettext('You signed in to chat somewhere else. Reload the page to chat here.'), 'error');
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

async function signIn() {
  setState('loading');
  setStatus(gettext('Connecting…'));
  let credentials;
  try {
    credentials = await fetchCredentials();
  } catch (error) {
    console.error(error);
    setState('error');
    setStatus(gettext('Could not get your chat credentials. Reload the page.'), 'error');
    return;
  }
  try {
    await state.tim.login({userID: credentials.userID, userSig: credentials.userSig});
  } catch (error) {
    setState('error');
    setStatus(interpolate(gettext('Could not sign in to chat (error %s).'), [error.code]), 'error');
  }
}

function start() {
  state.tim = TIM.create({SDKAppID: Number(root.dataset.sdkappid)});
  const {tim} = state;
  tim.setLogLevel(2);
  tim.on(TIM.EVENT.SDK_READY, () => {
    setState('ready');
    setStatus('');
  });
  tim.on(TIM.EVENT.SDK_NOT_READY, () => setState('not-ready'));
  tim.on(TIM.EVENT.MESSAGE_RECEIVED, onMessageReceived);
  tim.on(TIM.EVENT.CONVERSATION_LIST_UPDATED, onConversationListUpdated);
  tim.on(TIM.EVENT.NET_STATE_CHANGE, onNetStateChange);
  tim.on(TIM.EVENT.KICKED_OUT, onKickedOut);
  tim.on(TIM.EVENT.ERROR, ({data}) => console.warn('TIM error', data));

  el.newChat.addEventListener('submit', (event) => {
    event.preventDefault();
    const peer = el.peerInput.value.trim();
    if (!peer) return;
    el.peerInput.value = '';
    openConversation(`C2C${peer}`);
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

  renderActive();
  signIn();
}

start();
