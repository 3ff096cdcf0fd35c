"""Messaging in real headless Chromium: groups, unread counts, history, recall, emoji, resend.

Every user has their own browser context (their own cookies and socket) on one
daphne. As in test_browser_chat, the ORM work happens before Playwright starts
its event loop; messages are made through the pages themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    WebSocketRoute,
    expect,
)

from im.usersig import gen_usersig
from tests.browser import PASSWORD, TIMEOUT_MS
from tests.live import LiveServer

USERS = ("alice", "bob", "carol")


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    return {name: User.objects.create_user(name, password=PASSWORD) for name in USERS}


def sign_in(
    browser: Browser,
    live: LiveServer,
    username: str,
    *,
    prepare: Callable[[BrowserContext], None] | None = None,
    **context_options,
) -> Page:
    """A new context signed in as ``username``, on the chat with its SDK ready.

    ``prepare`` runs on the context before the first page loads (routes, clock);
    ``context_options`` override the context's (``locale``, ``timezone_id``).
    """
    options = {"locale": "en-US", "viewport": {"width": 1280, "height": 720}} | context_options
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    if prepare:
        prepare(context)
    page = context.new_page()
    page.goto(f"{live.url}/accounts/login/?next=/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live.url}/")
    wait_ready(page)
    return page


def wait_ready(page: Page) -> None:
    expect(page.locator("[data-testid=chat]")).to_have_attribute("data-state", "ready")


def reload(page: Page) -> None:
    page.reload()
    wait_ready(page)


def conversation(page: Page, conversation_id: str):
    return page.locator(f'[data-testid=conversation][data-conversation-id="{conversation_id}"]')


def start_chat(page: Page, peer: str) -> None:
    page.fill("[data-testid=peer-input]", peer)
    page.click("[data-testid=start-chat]")
    expect(page.locator("[data-testid=conversation-title]")).to_have_text(peer)


def send(page: Page, text: str) -> None:
    page.fill("[data-testid=message-input]", text)
    page.click("[data-testid=send]")


def bubbles(page: Page):
    return page.locator("[data-testid=message]")


def row_of(page: Page, text: str):
    return page.locator("[data-testid=message-row]").filter(has_text=text)


# Sends through the SDK instance the chat page itself uses (same module, same SDKAppID).
SEND_JS = """
async ({to, conversationType, kind, payloads}) => {
  const {default: TIM} = await import('/static/im/tim.js');
  const root = document.querySelector('[data-testid=chat]');
  const tim = TIM.create({SDKAppID: Number(root.dataset.sdkappid)});
  const make = {
    text: 'createTextMessage', face: 'createFaceMessage', custom: 'createCustomMessage',
  };
  const ids = [];
  for (const payload of payloads) {
    const message = tim[make[kind]]({to, conversationType, payload});
    ids.push((await tim.sendMessage(message)).data.message.ID);
  }
  return ids;
}
"""


def sdk_send(page: Page, to: str, payloads: list[dict], *, kind: str = "text") -> list[str]:
    return page.evaluate(
        SEND_JS, {"to": to, "conversationType": "C2C", "kind": kind, "payloads": payloads}
    )


# --- translations ---


@pytest.mark.parametrize(("accept_language", "chinese"), [("zh-CN", True), ("en-US", False)])
def test_messaging_strings_are_in_the_js_catalog(accept_language, chinese):
    response = Client(headers={"accept-language": accept_language}).get(
        reverse("javascript-catalog")
    )

    assert response.status_code == 200
    catalog = response.content.decode()
    for text in ("你撤回了一条消息", "%s 撤回了一条消息", "[自定义消息]", "重试"):
        assert (json.dumps(text) in catalog) is chinese


# --- group chat ---


@pytest.mark.django_db(transaction=True)
def test_group_created_from_the_page_and_everyone_sees_every_message(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    carol = sign_in(browser, live, "carol")
    alice = sign_in(browser, live, "alice")

    alice.click("[data-testid=new-group-toggle]")
    alice.fill("[data-testid=group-name]", "Hutong team")
    alice.fill("[data-testid=group-members]", "bob，carol, ")
    alice.click("[data-testid=create-group]")
    expect(alice.locator("[data-testid=conversation-title]")).to_have_text("Hutong team")
    group_id = alice.locator("[data-testid=conversation][aria-current=true]").get_attribute(
        "data-conversation-id"
    )
    assert group_id.startswith("GROUP@TGS#")

    send(alice, "hello team")
    expect(row_of(alice, "hello team")).to_have_attribute("data-status", "success")

    # bob and carol learn about the group from its first message, name and all.
    for page in (bob, carol):
        item = conversation(page, group_id)
        expect(item.locator(".peer")).to_have_text("Hutong team")
        item.click()
        expect(page.locator("[data-testid=conversation-title]")).to_have_text("Hutong team")
        expect(bubbles(page)).to_have_text(["hello team"])

    send(bob, "hi all")
    everyone = ["hello team", "hi all"]
    for page in (alice, bob, carol):
        expect(bubbles(page)).to_have_text(everyone)
    # Each sees the others' names on their messages, never their own.
    expect(alice.locator("[data-testid=sender]")).to_have_text(["bob"])
    expect(bob.locator("[data-testid=sender]")).to_have_text(["alice"])
    expect(carol.locator("[data-testid=sender]")).to_have_text(["alice", "bob"])
    expect(row_of(carol, "hi all").locator("[data-testid=sender]")).to_have_text("bob")
    # The list's preview names the sender too.
    expect(conversation(carol, group_id).locator(".preview")).to_have_text("bob: hi all")

    # A reload shows the same history, from the server.
    reload(carol)
    conversation(carol, group_id).click()
    expect(bubbles(carol)).to_have_text(everyone)
    expect(carol.locator("[data-testid=sender]")).to_have_text(["alice", "bob"])


@pytest.mark.django_db(transaction=True)
def test_a_group_with_an_unknown_member_is_refused_with_a_message(site_users, live, browser):
    alice = sign_in(browser, live, "alice")

    alice.click("[data-testid=new-group-toggle]")
    alice.fill("[data-testid=group-name]", "Nobody here")
    alice.fill("[data-testid=group-members]", "ghost")
    alice.click("[data-testid=create-group]")

    expect(alice.locator("[data-testid=status]")).to_have_text(
        "Some of those user IDs do not exist."
    )
    expect(alice.locator("[data-testid=conversation]")).to_have_count(0)


# --- unread counts ---


@pytest.mark.django_db(transaction=True)
def test_unread_badge_and_total_appear_and_clear_across_reloads(site_users, live, browser):
    sign_in(browser, live, "carol").context.close()  # carol exists in the chat
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    start_chat(bob, "carol")  # bob is busy elsewhere

    start_chat(alice, "bob")
    send(alice, "are you there?")
    send(alice, "bob?")
    expect(row_of(alice, "bob?")).to_have_attribute("data-status", "success")

    from_alice = conversation(bob, "C2Calice")
    badge = from_alice.locator("[data-testid=unread]")
    total = bob.locator("[data-testid=total-unread]")
    expect(badge).to_have_text("2")
    expect(total).to_have_text("2")
    expect(total).to_be_visible()
    expect(bob).to_have_title(re.compile(r"^\(2\) "))
    # alice's own messages never count for alice.
    expect(alice.locator("[data-testid=unread]")).to_have_count(0)
    expect(alice.locator("[data-testid=total-unread]")).to_have_attribute("data-count", "0")

    # The counts are the server's: a reload shows them again.
    reload(bob)
    expect(badge).to_have_text("2")
    expect(total).to_have_text("2")

    from_alice.click()
    expect(bubbles(bob)).to_have_text(["are you there?", "bob?"])
    expect(badge).to_have_count(0)
    expect(total).to_have_attribute("data-count", "0")
    expect(total).to_be_hidden()
    expect(bob).not_to_have_title(re.compile(r"^\("))

    reload(bob)
    expect(from_alice).to_be_visible()
    expect(badge).to_have_count(0)
    expect(total).to_have_attribute("data-count", "0")


@pytest.mark.django_db(transaction=True)
def test_a_read_in_one_tab_clears_the_count_in_the_other(
    site_users, two_instance_app, live, browser
):
    sign_in(browser, live, "carol").context.close()
    first = sign_in(browser, live, "bob")
    second = first.context.new_page()  # bob's second tab: same cookies, its own socket
    second.goto(f"{live.url}/")
    wait_ready(second)
    alice = sign_in(browser, live, "alice")
    for tab in (first, second):
        start_chat(tab, "carol")

    sdk_send(alice, "bob", [{"text": "one"}, {"text": "two"}])
    for tab in (first, second):
        expect(conversation(tab, "C2Calice").locator("[data-testid=unread]")).to_have_text("2")
        expect(tab.locator("[data-testid=total-unread]")).to_have_text("2")

    conversation(first, "C2Calice").click()
    expect(bubbles(first)).to_have_text(["one", "two"])
    # The second tab never opened it, yet its count follows the first tab's read.
    expect(conversation(second, "C2Calice").locator("[data-testid=unread]")).to_have_count(0)
    expect(second.locator("[data-testid=total-unread]")).to_have_attribute("data-count", "0")

    # Counting goes on from there in both.
    start_chat(first, "carol")
    sdk_send(alice, "bob", [{"text": "three"}])
    for tab in (first, second):
        expect(conversation(tab, "C2Calice").locator("[data-testid=unread]")).to_have_text("1")


# --- history ---


@pytest.mark.django_db(transaction=True)
def test_scrolling_up_loads_history_15_at_a_time_in_order(site_users, live, browser):
    sign_in(browser, live, "carol").context.close()
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    start_chat(bob, "carol")  # elsewhere, so alice's messages stay unread
    texts = [f"m{i:02}" for i in range(1, 41)]
    sdk_send(alice, "bob", [{"text": t} for t in texts])

    reload(bob)  # a fresh page: nothing of the conversation loaded yet
    expect(conversation(bob, "C2Calice").locator("[data-testid=unread]")).to_have_text("40")
    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text(texts[-15:])
    expect(bob.locator("[data-testid=total-unread]")).to_have_attribute("data-count", "0")

    message_list = bob.locator("[data-testid=message-list]")
    message_list.evaluate("el => { el.scrollTop = 0; }")
    expect(bubbles(bob)).to_have_text(texts[-30:])
    # The older page went above what was on screen: m26 is still at the top of the view.
    offset = bob.evaluate(
        """() => {
          const list = document.querySelector('[data-testid=message-list]');
          const row = [...list.querySelectorAll('[data-testid=message-row]')]
            .find((r) => r.textContent.startsWith('m26'));
          return row.getBoundingClientRect().top - list.getBoundingClientRect().top;
        }"""
    )
    assert 0 <= offset < 60
    assert message_list.evaluate("el => el.scrollTop") > 0

    message_list.evaluate("el => { el.scrollTop = 0; }")
    expect(bubbles(bob)).to_have_text(texts)
    # The beginning: scrolling up again fetches nothing and repeats nothing.
    message_list.evaluate("el => { el.scrollTop = 0; }")
    expect(bob.locator("[data-testid=history-loading]")).to_have_count(0)
    expect(bubbles(bob)).to_have_text(texts)

    # A live message lands after the history, once.
    sdk_send(alice, "bob", [{"text": "m41"}])
    expect(bubbles(bob)).to_have_text([*texts, "m41"])


# --- recall ---


@pytest.mark.django_db(transaction=True)
def test_a_recall_is_seen_live_by_the_other_user(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    # alice's page runs on a clock the test can move, to see the recall control expire.
    alice = sign_in(browser, live, "alice", prepare=lambda context: context.clock.install())
    start_chat(alice, "bob")
    send(alice, "sent to the wrong person")
    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text(["sent to the wrong person"])
    # Only your own messages have the control.
    expect(bob.locator("[data-testid=revoke]")).to_have_count(0)

    row_of(alice, "sent to the wrong person").locator("[data-testid=revoke]").click()

    expect(alice.locator("[data-testid=recalled]")).to_have_text("You recalled a message")
    expect(bob.locator("[data-testid=recalled]")).to_have_text("alice recalled a message")
    expect(bubbles(bob)).to_have_count(0)
    expect(bubbles(alice)).to_have_count(0)
    expect(conversation(bob, "C2Calice").locator(".preview")).to_have_text(
        "alice recalled a message"
    )
    # History keeps it recalled.
    reload(bob)
    conversation(bob, "C2Calice").click()
    expect(bob.locator("[data-testid=recalled]")).to_have_text("alice recalled a message")

    # The control goes once the 120 s window has passed.
    send(alice, "this one stays")
    revoke = row_of(alice, "this one stays").locator("[data-testid=revoke]")
    expect(revoke).to_be_visible()
    alice.clock.fast_forward("02:01")
    expect(revoke).to_have_count(0)
    expect(bubbles(bob)).to_have_text(["this one stays"])


# --- emoji, faces, custom messages ---


@pytest.mark.django_db(transaction=True)
def test_emoji_tokens_render_as_emoji_and_the_picker_inserts_them(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    start_chat(alice, "bob")

    send(alice, "你好[微笑] [不存在] [")
    conversation(bob, "C2Calice").click()
    for page in (alice, bob):
        bubble = bubbles(page).first
        expect(bubble).to_have_text("你好😊 [不存在] [")
        emoji = bubble.locator(".emoji")
        expect(emoji).to_have_count(1)
        expect(emoji).to_have_attribute("data-token", "[微笑]")
        # Text nodes around one span: the unknown token and the lone bracket stay text.
        nodes = bubble.evaluate("el => [...el.childNodes].map((n) => [n.nodeType, n.textContent])")
        assert nodes == [[3, "你好"], [1, "😊"], [3, " [不存在] ["]]

    # Markup in a token-shaped run stays text.
    send(alice, "[<b>x</b>][OK]")
    expect(bubbles(bob).last).to_have_text("[<b>x</b>]👌")
    assert bob.locator("[data-testid=message] b").count() == 0

    # The picker puts the token where the cursor is.
    alice.fill("[data-testid=message-input]", "ab")
    alice.locator("[data-testid=message-input]").evaluate("el => el.setSelectionRange(1, 1)")
    picker = alice.locator("[data-testid=emoji-picker]")
    expect(picker).to_be_hidden()
    alice.click("[data-testid=emoji-button]")
    expect(picker).to_be_visible()
    assert picker.locator("[data-testid=emoji-option]").count() >= 40
    picker.locator('[data-token="[呲牙]"]').click()
    expect(picker).to_be_hidden()
    expect(alice.locator("[data-testid=message-input]")).to_have_value("a[呲牙]b")
    alice.click("[data-testid=send]")
    expect(bubbles(bob).last).to_have_text("a😁b")


@pytest.mark.django_db(transaction=True)
def test_face_and_custom_messages_render(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    start_chat(bob, "alice")

    faces = [{"index": 1, "data": "tt01"}, {"index": 9999, "data": "tt9999"}]
    sdk_send(alice, "bob", faces, kind="face")
    sdk_send(
        alice,
        "bob",
        [{"data": "dice", "description": "rolled a 6", "extension": ""}, {"data": "{}"}],
        kind="custom",
    )

    expect(bubbles(bob)).to_have_text(["😁", "tt9999", "rolled a 6", "[Custom message]"])
    expect(bubbles(bob).first.locator(".emoji")).to_have_attribute("data-token", "[呲牙]")
    expect(conversation(bob, "C2Calice").locator(".preview")).to_have_text("[Custom message]")


# --- failed sends ---

LOST = "this answer gets lost"
UNSENT = "this request gets lost"


class FlakyLink:
    """alice's WebSocket through a route that loses one frame, cuts the connection
    there, and keeps refusing new connections until the test lets them through."""

    def __init__(self, *, lose_answer_to: str = "", lose_request_with: str = "") -> None:
        self.lose_answer_to = lose_answer_to
        self.lose_request_with = lose_request_with
        self.cut = False  # a frame was lost and the connection cut
        self.holding = False  # new connections are refused while True

    def release(self) -> None:
        self.holding = False

    def _cut(self, ws: WebSocketRoute, server: WebSocketRoute) -> None:
        self.cut = self.holding = True
        ws.close()
        server.close()

    def route(self, ws: WebSocketRoute) -> None:
        if self.holding:
            ws.close()
            return
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if self.lose_answer_to and not self.cut and isinstance(message, str):
                frame = json.loads(message)
                sent = (frame.get("data") or {}).get("message") or {}
                if "id" in frame and sent.get("payload", {}).get("text") == self.lose_answer_to:
                    self._cut(ws, server)
                    return
            ws.send(message)

        def to_server(message: str | bytes) -> None:
            if self.lose_request_with and not self.cut and isinstance(message, str):
                frame = json.loads(message)
                payload = (frame.get("data") or {}).get("payload") or {}
                if frame.get("op") == "sendMessage" and payload.get("text") == (
                    self.lose_request_with
                ):
                    self._cut(ws, server)
                    return
            server.send(message)

        server.on_message(to_page)
        ws.on_message(to_server)


def flaky_alice(browser: Browser, live: LiveServer, link: FlakyLink) -> Page:
    return sign_in(
        browser,
        live,
        "alice",
        prepare=lambda context: context.route_web_socket(re.compile(r"/ws/im/$"), link.route),
    )


@pytest.mark.django_db(transaction=True)
def test_a_send_whose_answer_was_lost_turns_out_sent_once(site_users, live, browser):
    """The server stores the message, but alice's socket dies before the answer
    arrives: her page shows it failed while it is offline; once back, the catch-up
    finds it on the server, and it shows as sent, once, with no retry needed."""
    link = FlakyLink(lose_answer_to=LOST)
    bob = sign_in(browser, live, "bob")
    alice = flaky_alice(browser, live, link)
    start_chat(alice, "bob")
    send(alice, LOST)

    mine = row_of(alice, LOST)
    expect(mine).to_have_attribute("data-status", "fail")
    expect(mine.locator("[data-testid=retry]")).to_be_visible()
    assert link.cut
    # The server had it: bob got it live.
    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text([LOST])

    link.release()
    expect(alice.locator("[data-testid=net-banner]")).to_be_hidden()
    expect(mine).to_have_attribute("data-status", "success")
    expect(mine.locator("[data-testid=retry]")).to_have_count(0)
    expect(alice.locator("[data-testid=status]")).to_be_hidden()

    # Pushes of a conversation arrive in order: a copy would show before this one.
    send(alice, "and one more")
    expect(bubbles(bob)).to_have_text([LOST, "and one more"])
    expect(bubbles(alice)).to_have_text([LOST, "and one more"])
    for page in (alice, bob):
        reload(page)
    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text([LOST, "and one more"])
    conversation(alice, "C2Cbob").click()
    expect(bubbles(alice)).to_have_text([LOST, "and one more"])


@pytest.mark.django_db(transaction=True)
def test_a_send_that_never_arrived_shows_retry_and_retry_delivers_one_copy(
    site_users, live, browser
):
    link = FlakyLink(lose_request_with=UNSENT)
    bob = sign_in(browser, live, "bob")
    alice = flaky_alice(browser, live, link)
    start_chat(alice, "bob")
    send(alice, "first")
    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text(["first"])
    send(alice, UNSENT)

    mine = row_of(alice, UNSENT)
    expect(mine).to_have_attribute("data-status", "fail")
    assert link.cut
    link.release()
    # Back and caught up: the server never had it, so it stays failed until retried.
    expect(alice.locator("[data-testid=net-banner]")).to_be_hidden()
    expect(alice.locator("[data-testid=status]")).to_be_hidden()
    expect(mine).to_have_attribute("data-status", "fail")
    expect(bubbles(bob)).to_have_text(["first"])

    mine.locator("[data-testid=retry]").click()
    expect(mine).to_have_attribute("data-status", "success")
    expect(mine.locator("[data-testid=retry]")).to_have_count(0)
    send(alice, "and one more")
    expect(bubbles(bob)).to_have_text(["first", UNSENT, "and one more"])
    expect(bubbles(alice)).to_have_text(["first", UNSENT, "and one more"])


# --- the SDK's messaging API, in the browser ---

SDK_MESSAGING_JS = """
async ({SDKAppID, sigs}) => {
  // A module per account: TIM.create keeps one instance per SDKAppID per module.
  const load = async (tag) => (await import(`/static/im/tim.js?${tag}`)).default;
  const [TA, TB, TB2] = await Promise.all([load('alice'), load('bob'), load('bob2')]);
  const {TYPES, EVENT} = TA;
  const until = async (what, test) => {
    const deadline = Date.now() + 10000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`waited in vain for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const failure = async (promise) => {
    try { await promise; return {resolved: true}; }
    catch (e) { return {code: e.code, message: e.message, data: e.data}; }
  };
  const thrown = (f) => {
    try { f(); return null; } catch (e) { return {code: e.code ?? null, message: e.message}; }
  };
  const login = async (T, userID) => {
    const tim = T.create({SDKAppID});
    const ready = new Promise((resolve) => tim.once(T.EVENT.SDK_READY, resolve));
    await tim.login({userID, userSig: sigs[userID]});
    await ready;
    return tim;
  };
  const plain = (value) => JSON.parse(JSON.stringify(value));
  const c2c = (to, payload) => ({to, conversationType: TYPES.CONV_C2C, payload});
  const r = {};

  const alice = await login(TA, 'alice');
  const bob = await login(TB, 'bob');
  const seen = {received: [], revoked: [], lists: [], totals: []};
  bob.on(EVENT.MESSAGE_RECEIVED, (e) => seen.received.push(...e.data));
  bob.on(EVENT.MESSAGE_REVOKED, (e) => seen.revoked.push(...e.data));
  bob.on(EVENT.CONVERSATION_LIST_UPDATED, (e) => seen.lists.push(plain(e.data)));
  bob.on(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (e) => seen.totals.push(e.data));

  // Custom and face messages.
  const custom = alice.createCustomMessage(
    c2c('bob', {data: 'dice', description: 'rolled a 6', extension: 'ext'}));
  r.customCreated = plain(custom);
  r.customSent = plain((await alice.sendMessage(custom)).data.message);
  const face = alice.createFaceMessage(c2c('bob', {index: 1, data: 'tt01'}));
  r.faceSent = plain((await alice.sendMessage(face)).data.message);
  r.faceBadIndex = thrown(() => alice.createFaceMessage(c2c('bob', {index: -1})));
  r.customBadData = thrown(() => alice.createCustomMessage(c2c('bob', {data: 5})));
  const emptyCustom = alice.createCustomMessage(c2c('bob', {}));
  r.emptyCustom = await failure(alice.sendMessage(emptyCustom));
  r.emptyCustomStatus = emptyCustom.status;

  // Twenty texts: history comes in pages of 15.
  const texts = [];
  for (let i = 1; i <= 20; i += 1) {
    const message = alice.createTextMessage(c2c('bob', {text: `t${i}`}));
    await alice.sendMessage(message);
    texts.push(message);
  }
  await until('22 messages at bob', () => seen.received.length === 22);
  r.receivedTypes = seen.received.map((m) => [m.type, m.flow, m.conversationID]);
  r.bobTotal = bob.getTotalUnreadMessageCount();
  await until('the list update', () => seen.totals.at(-1) === 22);
  r.lastList = seen.lists.at(-1).map((c) => [c.conversationID, c.unreadCount,
    c.lastMessage.messageForShow]);

  // A second connection of bob's, logged in now, has the counts from the server at SDK_READY.
  const bob2 = await login(TB2, 'bob');
  r.bob2TotalAtReady = bob2.getTotalUnreadMessageCount();
  const bob2Totals = [];
  const bob2Lists = [];
  bob2.on(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (e) => bob2Totals.push(e.data));
  bob2.on(EVENT.CONVERSATION_LIST_UPDATED, (e) => bob2Lists.push(plain(e.data)));

  const page1 = (await bob.getMessageList({conversationID: 'C2Calice', count: 15})).data;
  const page2 = (await bob.getMessageList(
    {conversationID: 'C2Calice', nextReqMessageID: page1.nextReqMessageID})).data;
  const show = (m) => m.payload.text ?? m.type;
  r.page1 = {list: page1.messageList.map(show), next: page1.nextReqMessageID,
    isCompleted: page1.isCompleted};
  r.page2 = {list: page2.messageList.map(show), next: page2.nextReqMessageID,
    isCompleted: page2.isCompleted};
  r.page1FirstID = page1.messageList[0].ID;
  // A message the page already holds comes back as the same object.
  r.sameObject = page1.messageList.at(-1) === seen.received.at(-1);
  r.countTooBig = thrown(() => bob.getMessageList({conversationID: 'C2Calice', count: 16}));
  r.countZero = thrown(() => bob.getMessageList({conversationID: 'C2Calice', count: 0}));
  r.unknownNext = await failure(
    bob.getMessageList({conversationID: 'C2Calice', nextReqMessageID: '1-2-3'}));

  // The list and one conversation, from the server.
  r.list = plain((await bob.getConversationList()).data);
  r.profile = plain((await bob.getConversationProfile('C2Calice')).data.conversation);
  r.emptyProfile = plain((await alice.getConversationProfile('C2Calice')).data.conversation);

  // Reading on one connection clears the count on the other.
  await bob.setMessageRead({conversationID: 'C2Calice'});
  r.totalAfterRead = bob.getTotalUnreadMessageCount();
  await until('bob2 hearing of the read', () => bob2Totals.at(-1) === 0);
  r.bob2TotalAfterRead = bob2.getTotalUnreadMessageCount();
  r.bob2Totals = bob2Totals.slice();
  await until('the zero total', () => seen.totals.at(-1) === 0);

  // Recall: the sender's object and bob's cached one are both marked.
  const revoked = await alice.revokeMessage(texts.at(-1));
  r.revoked = {...plain(revoked.data.message), same: revoked.data.message === texts.at(-1)};
  await until('MESSAGE_REVOKED', () => seen.revoked.length === 1);
  r.revokedPush = plain(seen.revoked);
  r.revokedIsCached = seen.revoked[0] === page1.messageList.at(-1) &&
    bob.findMessage(texts.at(-1).ID).isRevoked === true;
  r.revokeAgain = await failure(alice.revokeMessage(texts.at(-1)));
  r.revokeOthers = await failure(bob.revokeMessage(page1.messageList.at(-2)));
  await until('the recalled last message', () =>
    seen.lists.at(-1)?.[0]?.lastMessage?.isRevoked === true);

  // A resend of a stored message answers with it: the same sequence, no second push.
  const once = alice.createTextMessage(c2c('bob', {text: 'only once'}));
  const first = (await alice.sendMessage(once)).data.message.sequence;
  r.resendOfSuccess = thrown(() => alice.resendMessage(once));
  once.status = 'fail';  // as if the answer had been lost
  const again = await alice.resendMessage(once);
  r.resend = {first, second: again.data.message.sequence, isResend: once.isResend,
    status: once.status};
  const marker = alice.createTextMessage(c2c('bob', {text: 'marker'}));
  await alice.sendMessage(marker);
  await until('the marker', () => seen.received.some((m) => m.ID === marker.ID));
  r.onceCopies = seen.received.filter((m) => m.payload.text === 'only once').length;

  // Deleting: gone from the list here and on the other connection; messages stay.
  r.deleted = await bob.deleteConversation('C2Calice');
  r.listAfterDelete = (await bob.getConversationList()).data.conversationList.length;
  await until('bob2 dropping it', () => bob2Lists.at(-1)?.length === 0 &&
    seen.lists.at(-1).length === 0);
  r.bob2ListAfterDelete = (await bob2.getConversationList()).data.conversationList.length;
  r.deleteNever = await failure(bob.deleteConversation('C2Cbob'));  // bob never wrote to himself
  await alice.sendMessage(alice.createTextMessage(c2c('bob', {text: 'back again'})));
  await until('the conversation back', () => seen.lists.at(-1).length === 1);
  r.back = seen.lists.at(-1).map((c) => [c.conversationID, c.unreadCount]);
  r.history = (await bob.getMessageList({conversationID: 'C2Calice'})).data.messageList
    .map(show).slice(-3);

  // Groups: created, messaged, named in the members' lists.
  const created = await alice.createGroup({name: 'SDK group', type: TYPES.GRP_WORK,
    memberList: [{userID: 'bob'}]});
  r.created = plain(created.data);
  const groupID = created.data.group.groupID;
  const hello = alice.createTextMessage(
    {to: groupID, conversationType: TYPES.CONV_GROUP, payload: {text: 'hello group'}});
  r.groupSent = plain((await alice.sendMessage(hello)).data.message);
  await until('the group named in bob\\'s list', () => seen.lists.at(-1).some(
    (c) => c.conversationID === `GROUP${groupID}` && c.groupProfile.name === 'SDK group'));
  r.groupInList = seen.lists.at(-1).find((c) => c.conversationID === `GROUP${groupID}`);
  r.groupReceived = plain(seen.received.at(-1));
  // Sent right after createGroup: bob hears it by push or by the catch-up after
  // GROUP_JOINED, and either way once.
  r.groupCopies = seen.received.filter((m) => m.ID === hello.ID).length;
  r.badMember = await failure(alice.createGroup({name: 'x', memberList: [{userID: 'nobody'}]}));
  r.badName = thrown(() => alice.createGroup({name: ''}));

  for (const tim of [alice, bob, bob2]) await tim.destroy();
  return r;
}
"""


@pytest.mark.django_db(transaction=True)
def test_sdk_messaging_api(two_instance_app, live, browser):
    site_app = two_instance_app
    sigs = {
        user: gen_usersig(
            sdkappid=site_app.sdkappid, secret_key=site_app.secret_key, user_id=user, expire=3600
        )
        for user in ("alice", "bob")
    }
    page = browser.new_page()
    page.goto(f"{live.url}/accounts/login/")
    r = page.evaluate(SDK_MESSAGING_JS, {"SDKAppID": site_app.sdkappid, "sigs": sigs})

    assert r["customCreated"]["type"] == "TIMCustomElem"
    assert r["customCreated"]["status"] == "unSend"
    assert r["customCreated"]["payload"] == {
        "data": "dice",
        "description": "rolled a 6",
        "extension": "ext",
    }
    assert r["customSent"]["status"] == "success"
    assert r["customSent"]["sequence"] == 1
    assert r["faceSent"]["type"] == "TIMFaceElem"
    assert r["faceSent"]["payload"] == {"index": 1, "data": "tt01"}
    assert r["faceSent"]["sequence"] == 2
    assert r["faceBadIndex"] == {"code": None, "message": "Params validate failed."}
    assert r["customBadData"] == {"code": None, "message": "Params validate failed."}
    assert r["emptyCustom"]["code"] == 6017
    assert r["emptyCustomStatus"] == "fail"

    assert r["receivedTypes"][:2] == [
        ["TIMCustomElem", "in", "C2Calice"],
        ["TIMFaceElem", "in", "C2Calice"],
    ]
    assert r["bobTotal"] == 22
    assert r["lastList"] == [["C2Calice", 22, "t20"]]
    assert r["bob2TotalAtReady"] == 22

    assert r["page1"]["list"] == [f"t{i}" for i in range(6, 21)]
    assert r["page1"]["isCompleted"] is False
    assert r["page1"]["next"] == r["page1FirstID"]
    assert r["page2"] == {
        "list": ["TIMCustomElem", "TIMFaceElem", "t1", "t2", "t3", "t4", "t5"],
        "next": "",
        "isCompleted": True,
    }
    assert r["sameObject"] is True
    assert r["countTooBig"] == {"code": None, "message": "Params validate failed."}
    assert r["countZero"] == {"code": None, "message": "Params validate failed."}
    assert r["unknownNext"]["code"] == 10030

    assert r["list"]["isSyncCompleted"] is True
    [listed] = r["list"]["conversationList"]
    assert listed["conversationID"] == "C2Calice"
    assert listed["type"] == "C2C"
    assert listed["unreadCount"] == 22
    assert listed["userProfile"]["userID"] == "alice"
    assert listed["lastMessage"]["messageForShow"] == "t20"
    assert listed["lastMessage"]["lastSequence"] == 22
    assert listed["lastMessage"]["fromAccount"] == "alice"
    assert listed["toAccount"] == "alice"
    assert r["profile"]["unreadCount"] == 22
    assert r["profile"]["userProfile"]["userID"] == "alice"
    assert r["emptyProfile"]["unreadCount"] == 0
    assert r["emptyProfile"]["lastMessage"] is None

    assert r["totalAfterRead"] == 0
    assert r["bob2Totals"] == [0]
    assert r["bob2TotalAfterRead"] == 0

    revoked = r["revoked"]
    assert (revoked["isRevoked"], revoked["revoker"], revoked["same"]) == (True, "alice", True)
    [pushed] = r["revokedPush"]
    assert (pushed["isRevoked"], pushed["revoker"]) == (True, "alice")
    assert pushed["payload"] == {"text": "t20"}
    assert r["revokedIsCached"] is True
    assert r["revokeAgain"]["code"] == 10032
    assert r["revokeAgain"]["data"]["message"]["ID"] == revoked["ID"]
    assert r["revokeOthers"]["code"] == 10007

    assert r["resendOfSuccess"] == {"code": None, "message": "Params validate failed."}
    assert r["resend"] == {"first": 23, "second": 23, "isResend": True, "status": "success"}
    assert r["onceCopies"] == 1

    assert r["deleted"] == {"code": 0, "data": {"conversationID": "C2Calice"}}
    assert r["listAfterDelete"] == 0
    assert r["bob2ListAfterDelete"] == 0
    assert r["deleteNever"]["code"] == 6004
    assert r["back"] == [["C2Calice", 1]]
    assert r["history"] == ["only once", "marker", "back again"]

    group = r["created"]["group"]
    assert r["created"]["overLimitUserIDList"] == []
    assert group["name"] == "SDK group"
    assert group["type"] == "Private"
    assert group["ownerID"] == "alice"
    assert group["groupID"].startswith("@TGS#")
    assert group["selfInfo"]["role"] == "Owner"
    assert r["groupSent"]["conversationID"] == f"GROUP{group['groupID']}"
    assert r["groupSent"]["conversationType"] == "GROUP"
    assert r["groupSent"]["sequence"] == 1
    assert r["groupInList"]["unreadCount"] == 1
    assert r["groupInList"]["type"] == "GROUP"
    assert r["groupInList"]["lastMessage"]["messageForShow"] == "hello group"
    assert r["groupReceived"]["flow"] == "in"
    assert r["groupReceived"]["from"] == "alice"
    assert r["groupCopies"] == 1
    assert r["badMember"]["code"] == 10019
    assert r["badName"] == {"code": None, "message": "Params validate failed."}
