"""Sessions in real headless Chromium: kick-out, the signed-out screen, reconnecting
without losing or repeating anything, and the outbox of messages written offline.

As in the other browser tests, ORM work happens before Playwright starts its event
loop (or after it has stopped). Tests that restart a server run two daphne
processes on one database and one Redis, as a deployment does: the users on the
process that stays up go on writing while the other one is down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, WebSocketRoute, expect

from im.models import Message
from im.usersig import gen_usersig
from tests.browser import PASSWORD, chromium
from tests.live import LiveServer, redis_url
from tests.test_browser_messaging import (
    bubbles,
    conversation,
    row_of,
    send,
    sign_in,
    start_chat,
    wait_ready,
)

# A reconnect waits out its backoff (up to 16 s, jittered) after the server is back,
# and a loaded machine restarts daphne slowly: waits for it get this long.
RECONNECT_TIMEOUT_MS = 60_000
ADMIN_PASSWORD = "operator horse battery staple"


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    users = {name: User.objects.create_user(name, password=PASSWORD) for name in ("alice", "bob")}
    User.objects.create_superuser("operator", "operator@example.com", ADMIN_PASSWORD)
    return users


@pytest.fixture
def servers(transactional_db) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two daphne processes sharing the test database and a Redis channel layer."""
    pair = [LiveServer(env={"REDIS_URL": redis_url()}) for _ in range(2)]
    try:
        for server in pair:
            server.start()
        yield pair[0], pair[1]
    finally:
        for server in pair:
            server.stop()


def another_page(page: Page, live: LiveServer) -> Page:
    """A second tab of the same browser context: same site session, its own socket."""
    tab = page.context.new_page()
    tab.goto(f"{live.url}/")
    wait_ready(tab)
    return tab


def signed_out(page: Page):
    return page.locator("[data-testid=signed-out]")


def banner(page: Page):
    return page.locator("[data-testid=net-banner]")


# The chat page's own SDK instance: the same module, the same SDKAppID.
PAGE_TIM = """
  const {default: TIM} = await import('/static/im/tim.js');
  const root = document.querySelector('[data-testid=chat]');
  const tim = TIM.create({SDKAppID: Number(root.dataset.sdkappid)});
"""

MAKE_MESSAGE_JS = f"""
async () => {{
  {PAGE_TIM}
  window.__early = tim.createTextMessage(
    {{to: 'bob', conversationType: TIM.TYPES.CONV_C2C, payload: {{text: 'never sent'}}}});
}}
"""

REFUSALS_JS = f"""
async () => {{
  {PAGE_TIM}
  const codeOf = async (call) => {{
    try {{ await call(); return null; }} catch (e) {{ return e.code; }}
  }};
  return {{
    send: await codeOf(() => tim.sendMessage(window.__early)),
    create: await codeOf(() => tim.createTextMessage(
      {{to: 'bob', conversationType: TIM.TYPES.CONV_C2C, payload: {{text: 'x'}}}})),
    status: window.__early.status,
  }};
}}
"""

LIST_REFUSAL_JS = f"""
async () => {{
  {PAGE_TIM}
  try {{ await tim.getConversationList(); return null; }} catch (e) {{ return e.code; }}
}}
"""

# Records every MESSAGE_RECEIVED the page's SDK announces, to count copies.
RECORD_RECEIVED_JS = f"""
async () => {{
  {PAGE_TIM}
  window.__received = [];
  // Messages, not the typing indicators the other page sends online only.
  tim.on(TIM.EVENT.MESSAGE_RECEIVED, (e) =>
    window.__received.push(...e.data.filter((m) => !m.onlineOnlyFlag).map((m) => m.ID)),
  );
}}
"""


# --- translations ---


@pytest.mark.parametrize(("accept_language", "chinese"), [("zh-CN", True), ("en-US", False)])
def test_session_strings_are_in_the_js_catalog(accept_language, chinese):
    response = Client(headers={"accept-language": accept_language}).get(
        reverse("javascript-catalog")
    )

    assert response.status_code == 200
    catalog = response.content.decode()
    texts = (
        "你已在其他页面登录",
        "你的登录已过期",
        "管理员已将你强制下线",
        "重新登录",
        "等待连接…",
    )
    for text in texts:
        assert (json.dumps(text) in catalog) is chinese


# --- kick-out ---


@pytest.mark.django_db(transaction=True)
def test_a_second_page_kicks_the_first_which_can_sign_in_again(
    site_users, one_instance_app, live, browser
):
    # The site app allows several tabs; one set back to TIM's default of 1 kicks instead.
    bob = sign_in(browser, live, "bob")
    first = sign_in(browser, live, "alice")
    first.evaluate(MAKE_MESSAGE_JS)

    second = another_page(first, live)

    expect(signed_out(first)).to_be_visible()
    expect(first.locator("[data-testid=signed-out-reason]")).to_have_text(
        "You signed in on another page"
    )
    expect(first.locator("[data-testid=chat]")).to_have_attribute("data-state", "signed-out")
    expect(first.locator("[data-testid=send]")).to_be_disabled()
    expect(first.locator("[data-testid=message-input]")).to_be_disabled()
    assert first.evaluate(REFUSALS_JS) == {"send": 6208, "create": 6208, "status": "unSend"}
    expect(signed_out(second)).to_be_hidden()

    # The second page works, and the first stays out rather than kicking it back.
    start_chat(second, "bob")
    send(second, "from the second page")
    expect(row_of(second, "from the second page")).to_have_attribute("data-status", "success")
    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text(["from the second page"])
    expect(signed_out(first)).to_be_visible()
    expect(signed_out(second)).to_be_hidden()

    # Signing in again on the first page makes it the newest instance: the second goes.
    first.click("[data-testid=sign-in-again]")
    wait_ready(first)
    expect(signed_out(first)).to_be_hidden()
    expect(signed_out(second)).to_be_visible()
    expect(second.locator("[data-testid=signed-out-reason]")).to_have_text(
        "You signed in on another page"
    )
    expect(second.locator("[data-testid=send]")).to_be_disabled()

    start_chat(first, "bob")
    expect(bubbles(first)).to_have_text(["from the second page"])
    send(bob, "welcome back")
    expect(bubbles(first)).to_have_text(["from the second page", "welcome back"])
    # The kicked page still shows what it had, and nothing more.
    expect(bubbles(second)).to_have_text(["from the second page"])


@pytest.mark.django_db(transaction=True)
def test_with_two_instances_allowed_both_pages_stay_and_receive(
    site_users, two_instance_app, live, browser
):
    bob = sign_in(browser, live, "bob")
    first = sign_in(browser, live, "alice")
    second = another_page(first, live)

    start_chat(bob, "alice")
    send(bob, "hello both")
    for page in (first, second):
        # An empty page opens the conversation of the first message it gets.
        expect(bubbles(page)).to_have_text(["hello both"])
        expect(signed_out(page)).to_be_hidden()
        expect(page.locator("[data-testid=chat]")).to_have_attribute("data-state", "ready")

    # Both can write, and bob sees both (one after the other: the server orders them).
    send(second, "from the second")
    expect(row_of(second, "from the second")).to_have_attribute("data-status", "success")
    send(first, "from the first")
    expect(bubbles(bob)).to_have_text(["hello both", "from the second", "from the first"])

    # A third page is one too many: the oldest goes, the second stays.
    third = another_page(first, live)
    expect(signed_out(first)).to_be_visible()
    expect(first.locator("[data-testid=signed-out-reason]")).to_have_text(
        "You signed in on another page"
    )
    send(bob, "still here?")
    for page in (second, third):
        expect(bubbles(page).last).to_have_text("still here?")
        expect(signed_out(page)).to_be_hidden()


@pytest.mark.django_db(transaction=True)
def test_an_operators_kick_shows_its_reason_and_sign_in_again_works(site_users, live, browser):
    alice = sign_in(browser, live, "alice")

    operator = browser.new_context(locale="en-US").new_page()
    operator.goto(f"{live.url}/admin/login/?next=/admin/im/account/%3Fq%3Dalice")
    operator.fill("input[name=username]", "operator")
    operator.fill("input[name=password]", ADMIN_PASSWORD)
    operator.click("input[type=submit]")
    row = operator.locator("#result_list tbody tr").filter(has_text="alice")
    expect(row).to_have_count(1)
    row.locator("input[name=_selected_action]").check()
    operator.select_option("select[name=action]", "kick_out")
    operator.click("button[name=index]")
    expect(operator.locator(".messagelist")).to_contain_text("1 instances kicked out.")

    expect(signed_out(alice)).to_be_visible()
    expect(alice.locator("[data-testid=signed-out-reason]")).to_have_text(
        "An operator signed you out"
    )
    expect(alice.locator("[data-testid=send]")).to_be_disabled()

    alice.click("[data-testid=sign-in-again]")
    wait_ready(alice)
    expect(signed_out(alice)).to_be_hidden()


@pytest.fixture
def short_sig_live(transactional_db) -> Iterator[LiveServer]:
    """A server whose chat pages get UserSigs that last 10 seconds (the page renews at 80%
    of a sig's life: two seconds' margin for a busy machine)."""
    server = LiveServer(env={"IM_SITE_USERSIG_EXPIRE": "10"}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_short_sig_is_renewed_with_no_reconnect(site_users, short_sig_live, browser):
    sockets: list[str] = []
    alice = sign_in(
        browser,
        short_sig_live,
        "alice",
        prepare=lambda c: c.on(
            "page", lambda p: p.on("websocket", lambda ws: sockets.append(ws.url))
        ),
    )
    bob = sign_in(browser, short_sig_live, "bob")
    start_chat(bob, "alice")
    # Past the first sig's ten seconds: the page renewed it at eight.
    alice.wait_for_timeout(12_000)
    send(bob, "still with you")
    expect(bubbles(alice)).to_have_text(["still with you"])
    expect(signed_out(alice)).to_be_hidden()
    expect(banner(alice)).to_be_hidden()
    assert len(sockets) == 1, sockets  # one socket from start to end: no reconnect


@pytest.mark.django_db(transaction=True)
def test_an_expired_sig_shows_its_reason_and_sign_in_again_gets_a_new_one(
    site_users, short_sig_live, browser
):
    alice = sign_in(browser, short_sig_live, "alice")
    # The site cannot be reached for a renewal (the page keeps trying, in vain).
    alice.route("**/im/usersig/", lambda route: route.abort())

    expect(signed_out(alice)).to_be_visible(timeout=30_000)
    expect(alice.locator("[data-testid=signed-out-reason]")).to_have_text("Your session expired")
    assert alice.evaluate(LIST_REFUSAL_JS) == 6206

    alice.unroute("**/im/usersig/")
    alice.click("[data-testid=sign-in-again]")
    wait_ready(alice)
    expect(signed_out(alice)).to_be_hidden()


@pytest.mark.django_db(transaction=True)
def test_signing_out_in_one_tab_signs_the_others_out(site_users, two_instance_app, live, browser):
    first = sign_in(browser, live, "alice")
    second = another_page(first, live)
    bob = sign_in(browser, live, "bob")

    first.click("[data-testid=logout]")
    first.wait_for_url(re.compile(r".*/accounts/login/.*"))
    expect(signed_out(second)).to_be_visible()
    expect(second.locator("[data-testid=signed-out-reason]")).to_have_text("You signed out")
    expect(second.locator("[data-testid=send]")).to_be_disabled()
    expect(bob.locator("[data-testid=chat]")).to_have_attribute("data-state", "ready")
    # Signing in again means the site's sign-in page now.
    second.click("[data-testid=sign-in-again]")
    second.wait_for_url(re.compile(r".*/accounts/login/\?next=%2F$"))


# --- reconnecting ---


@pytest.mark.django_db(transaction=True)
def test_a_server_restart_loses_nothing_and_repeats_nothing(site_users, servers, browser):
    one, two = servers
    bob = sign_in(browser, one, "bob")
    alice = sign_in(browser, two, "alice")
    start_chat(bob, "alice")
    start_chat(alice, "bob")
    send(alice, "before")
    expect(bubbles(bob)).to_have_text(["before"])
    expect(banner(bob)).to_be_hidden()
    bob.evaluate(RECORD_RECEIVED_JS)

    one.kill()  # bob's server dies as a crashing process does
    expect(banner(bob)).to_be_visible()

    # alice goes on writing through the other process, and recalls what bob had seen.
    during = [f"while you were away {i}" for i in range(1, 4)]
    for text in during:
        send(alice, text)
        expect(row_of(alice, text)).to_have_attribute("data-status", "success")
    row_of(alice, "before").locator("[data-testid=revoke]").click()
    expect(alice.locator("[data-testid=recalled]")).to_have_text("You recalled a message")

    one.start()  # the same port: bob's page finds it by itself
    expect(banner(bob)).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)

    # Without a reload: every message once, in order, and the recall applied.
    rows = bob.locator("[data-testid=message-row]")
    expect(rows).to_have_count(4)
    expect(rows.first.locator("[data-testid=recalled]")).to_have_text("alice recalled a message")
    expect(bubbles(bob)).to_have_text(during)
    expect(conversation(bob, "C2Calice").locator(".preview")).to_have_text(during[-1])

    # Live again, across the processes; nothing came late or twice.
    send(alice, "after")
    expect(bubbles(bob)).to_have_text([*during, "after"])
    received = bob.evaluate("window.__received")
    assert len(received) == len(set(received)) == 4
    expect(banner(bob)).to_be_hidden()


@pytest.mark.django_db(transaction=True)
def test_messages_written_offline_wait_and_go_out_once_in_order(site_users, servers):
    one, two = servers
    queued = ["written offline 1", "written offline 2", "written offline 3"]
    with chromium() as browser:
        alice = sign_in(browser, one, "alice")
        bob = sign_in(browser, two, "bob")
        start_chat(bob, "alice")
        start_chat(alice, "bob")
        send(alice, "online")
        expect(bubbles(bob)).to_have_text(["online"])

        one.stop()  # alice's server goes away
        expect(banner(alice)).to_be_visible()
        for text in queued:
            send(alice, text)
            row = row_of(alice, text)
            expect(row).to_have_attribute("data-status", "unSend")
            expect(row.locator("[data-testid=pending]")).to_have_text("Waiting for the connection…")
        expect(bubbles(alice)).to_have_text(["online", *queued])
        expect(bubbles(bob)).to_have_text(["online"])

        one.start()
        for text in queued:
            expect(row_of(alice, text)).to_have_attribute(
                "data-status", "success", timeout=RECONNECT_TIMEOUT_MS
            )
        expect(alice.locator("[data-testid=pending]")).to_have_count(0)
        expect(banner(alice)).to_be_hidden()
        expect(bubbles(bob)).to_have_text(["online", *queued])

        send(alice, "back online")
        expect(bubbles(bob)).to_have_text(["online", *queued, "back online"])
        expect(bubbles(alice)).to_have_text(["online", *queued, "back online"])

    stored = Message.objects.filter(sender__user_id="alice").order_by("seq")
    assert [m.payload["text"] for m in stored] == ["online", *queued, "back online"]
    for text in queued:
        assert Message.objects.filter(payload__text=text).count() == 1


class SilentLink:
    """WebSocket connections through a route that can go silent: frames stop
    flowing both ways, yet neither end sees a close, as when a network dies."""

    def __init__(self) -> None:
        self.links: list[dict[str, bool]] = []

    def go_silent(self) -> None:
        for link in self.links:
            link["silent"] = True

    def route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        link = {"silent": False}
        self.links.append(link)

        def to_server(message: str | bytes) -> None:
            if not link["silent"]:
                server.send(message)

        def to_page(message: str | bytes) -> None:
            if not link["silent"]:
                ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)


@pytest.mark.django_db(transaction=True)
def test_a_silently_dead_connection_is_noticed_by_its_heartbeat(site_users, live, browser):
    link = SilentLink()

    def prepare(context) -> None:
        context.clock.install()  # the heartbeat's timers, moved on by the test
        context.route_web_socket(re.compile(r"/ws/im/$"), link.route)

    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice", prepare=prepare)
    start_chat(alice, "bob")
    start_chat(bob, "alice")

    link.go_silent()
    send(bob, "into the void")
    expect(row_of(bob, "into the void")).to_have_attribute("data-status", "success")
    expect(banner(alice)).to_be_hidden()  # nothing told alice's page yet

    alice.clock.fast_forward("00:30")  # the next heartbeat goes out, and is not answered
    alice.clock.fast_forward("00:10")  # the answer's deadline
    expect(banner(alice)).to_be_visible()
    alice.clock.fast_forward("00:02")  # the first reconnect's backoff
    expect(banner(alice)).to_be_hidden()
    expect(bubbles(alice)).to_have_text(["into the void"])


# --- the SDK's side of it, in the browser ---

# bob's connections go through a route the test can cut; everyone else's go straight
# to the server. Each account has its own module instance (TIM.create keeps one
# instance per SDKAppID per module) and its own URL, told apart by the query string.
# Inside a function of ({SDKAppID, sigs, base}): module loading, waiting and logging in.
SDK_HELPERS_JS = """
  const load = async (tag) => (await import(`/static/im/tim.js?${tag}`)).default;
  const until = async (what, test, ms = 30000) => {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`waited in vain for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const login = async (T, userID, proxyServer, tim = T.create({SDKAppID, proxyServer})) => {
    const ready = new Promise((resolve) => tim.once(T.EVENT.SDK_READY, resolve));
    await tim.login({userID, userSig: sigs[userID]});
    await ready;
    return tim;
  };
"""

SDK_SETUP_JS = (
    """
async ({SDKAppID, sigs, base}) => {"""
    + SDK_HELPERS_JS
    + """
  const [TA, TB, TB2] = await Promise.all([load('alice'), load('bob'), load('bob2')]);
  const {EVENT, TYPES} = TA;
  const seen = {events: [], net: [], received: [], revoked: [], groupLists: [], kicked: []};
  const bob = TB.create({SDKAppID, proxyServer: `${base}?bob`});
  bob.on(EVENT.NET_STATE_CHANGE, (e) => seen.net.push(e.data.state));
  bob.on(EVENT.MESSAGE_RECEIVED, (e) => seen.received.push(...e.data));
  bob.on(EVENT.MESSAGE_REVOKED, (e) => seen.revoked.push(...e.data));
  bob.on(EVENT.GROUP_LIST_UPDATED, (e) => seen.groupLists.push(e.data));
  bob.on(EVENT.KICKED_OUT, (e) => seen.kicked.push(e.data));
  for (const name of [EVENT.SDK_READY, EVENT.SDK_NOT_READY, EVENT.KICKED_OUT]) {
    bob.on(name, (e) => seen.events.push(e.name));
  }
  const alice = await login(TA, 'alice', `${base}?alice`);
  await login(TB, 'bob', `${base}?bob`);
  const aliceReceived = [];
  // bob's messages to alice (not the notice alice gets for the group she creates).
  alice.on(EVENT.MESSAGE_RECEIVED, (e) => aliceReceived.push(
    ...e.data.filter((m) => m.conversationType === TYPES.CONV_C2C)));
  const c2c = (to, text) => ({to, conversationType: TYPES.CONV_C2C, payload: {text}});
  const early = alice.createTextMessage(c2c('bob', 'seen before the cut'));
  await alice.sendMessage(early);
  await until('the early message', () => seen.received.length === 1);
  window.__sdk = {TA, TB, TB2, EVENT, TYPES, alice, bob, seen, aliceReceived, until, login,
    c2c, early, groupsAtStart: (await bob.getGroupList()).data.groupList.length};
  return {net: seen.net.slice(), groupsAtStart: window.__sdk.groupsAtStart};
}
"""
)

# While bob's link is cut: bob writes (the outbox keeps it), alice makes a group with
# bob and writes in it, writes to bob, and recalls what bob had seen.
SDK_WHILE_CUT_JS = """
async () => {
  const {alice, bob, seen, until, c2c, early, TYPES} = window.__sdk;
  await until('bob noticing the cut', () => seen.net.at(-1) !== TYPES.NET_STATE_CONNECTED);
  const queued = [bob.createTextMessage(c2c('alice', 'queued 1')),
    bob.createTextMessage(c2c('alice', 'queued 2'))];
  window.__sdk.queued = queued;
  window.__sdk.sends = queued.map((m) => bob.sendMessage(m));
  const created = await alice.createGroup({name: 'made while bob was away',
    memberList: [{userID: 'bob'}]});
  const groupID = created.data.group.groupID;
  await alice.sendMessage(alice.createTextMessage(
    {to: groupID, conversationType: TYPES.CONV_GROUP, payload: {text: 'in the group'}}));
  await alice.sendMessage(alice.createTextMessage(c2c('bob', 'direct')));
  await alice.revokeMessage(early);
  window.__sdk.groupID = groupID;
  return {statuses: queued.map((m) => m.status), received: seen.received.length};
}
"""

SDK_AFTER_CUT_JS = """
async () => {
  const {alice, bob, seen, aliceReceived, until, queued, sends, groupID, TYPES} = window.__sdk;
  await until('bob connected again', () => seen.net.at(-1) === TYPES.NET_STATE_CONNECTED,
    60000);
  // Everything was fetched before 'connected': nothing more has to arrive.
  const atConnected = {
    received: seen.received.map((m) => [m.conversationID, m.payload.text]),
    revoked: seen.revoked.map((m) => m.payload.text),
    groups: seen.groupLists.at(-1)?.map((g) => [g.groupID === groupID, g.name]),
  };
  const sent = await Promise.all(sends);
  await until('alice getting the queued messages', () => aliceReceived.length === 2);
  const list = (await bob.getGroupList()).data.groupList;
  const profile = (await bob.getGroupProfile({groupID})).data.group;
  let missing;
  try { await bob.getGroupProfile({groupID: '@TGS#nope'}); } catch (e) { missing = e.code; }
  return {
    atConnected,
    net: seen.net.slice(),
    sent: sent.map((r) => [r.data.message.status, r.data.message.sequence]),
    same: sent.every((r, i) => r.data.message === queued[i]),
    aliceGot: aliceReceived.map((m) => m.payload.text),
    list: list.map((g) => [g.name, g.selfInfo.role]),
    profile: [profile.name, profile.ownerID, profile.memberCount],
    missing,
  };
}
"""

# Cut again: a message written meanwhile waits, and fails (6010) once bob logs out.
SDK_LOGOUT_JS = """
async () => {
  const {bob, seen, until, c2c, TYPES} = window.__sdk;
  await until('bob noticing the cut', () => seen.net.at(-1) !== TYPES.NET_STATE_CONNECTED);
  const stranded = bob.createTextMessage(c2c('alice', 'stranded'));
  const outcome = bob.sendMessage(stranded).then(() => null, (e) => e.code);
  await bob.logout();
  return {failed: await outcome, status: stranded.status};
}
"""

# bob logs in again; a second login of bob's (the site app set to allow one) kicks it out,
# and it stays out: no reconnect of its own.
SDK_KICK_JS = """
async ({sigs, base}) => {
  const {TB, TB2, bob, seen, until, login} = window.__sdk;
  await login(TB, 'bob', `${base}?bob`);
  const bob2 = await login(TB2, 'bob', `${base}?bob2`);
  await until('the kick', () => seen.kicked.length === 1);
  const refusal = await bob.getConversationList().then(() => null, (e) => e.code);
  const netAtKick = seen.net.slice();
  // The first reconnect of a dropped connection comes within a second: were a kicked
  // instance to try one, it would have by now.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const r = {
    kicked: seen.kicked, events: seen.events, refusal,
    netAtKick: netAtKick.at(-1), quiet: seen.net.length === netAtKick.length,
    bob2Works: (await bob2.getConversationList()).code,
  };
  await bob2.destroy();
  return r;
}
"""


class CuttableLink:
    """A route for WebSockets that the test can cut (and keep down) and restore."""

    def __init__(self) -> None:
        self.down = False
        self.links: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def route(self, ws: WebSocketRoute) -> None:
        if self.down:
            ws.close()  # refused: the network is still down
            return
        self.links.append((ws, ws.connect_to_server()))

    def cut(self) -> None:
        self.down = True
        for ws, server in self.links:
            ws.close()
            server.close()
        self.links.clear()

    def restore(self) -> None:
        self.down = False


def bob_sigs(app) -> dict[str, str]:
    return {
        user: gen_usersig(
            sdkappid=app.sdkappid, secret_key=app.secret_key, user_id=user, expire=3600
        )
        for user in ("alice", "bob")
    }


@pytest.mark.django_db(transaction=True)
def test_sdk_catches_up_after_a_cut_and_a_kick_ends_the_session(one_instance_app, live, browser):
    site_app = one_instance_app
    sigs = bob_sigs(site_app)
    link = CuttableLink()
    cut_bob = link.cut
    page = browser.new_page()
    page.route_web_socket(re.compile(r"/ws/im/\?bob$"), link.route)
    page.goto(f"{live.url}/accounts/login/")
    args = {"SDKAppID": site_app.sdkappid, "sigs": sigs, "base": live.ws_url}

    start = page.evaluate(SDK_SETUP_JS, args)
    assert start == {"net": ["connecting", "connected"], "groupsAtStart": 0}

    cut_bob()
    during = page.evaluate(SDK_WHILE_CUT_JS)
    assert during == {"statuses": ["unSend", "unSend"], "received": 1}

    link.restore()
    after = page.evaluate(SDK_AFTER_CUT_JS)
    group_id = page.evaluate("window.__sdk.groupID")
    # Caught up before 'connected': the new group, its message, the direct one, the recall.
    received = after["atConnected"]["received"]
    assert received[0] == ["C2Calice", "seen before the cut"]
    assert sorted(received[1:]) == sorted(
        [[f"GROUP{group_id}", "in the group"], ["C2Calice", "direct"]]
    )
    assert after["atConnected"]["revoked"] == ["seen before the cut"]
    assert after["atConnected"]["groups"] == [[True, "made while bob was away"]]
    net = after["net"]
    assert net[:2] == ["connecting", "connected"]
    assert net[2] == "disconnected"
    assert net[-1] == "connected"
    assert set(net[2:-1]) <= {"connecting", "disconnected"}
    # The queued messages went out once, in order, after the two alice sent first.
    assert after["sent"] == [["success", 3], ["success", 4]]
    assert after["same"] is True
    assert after["aliceGot"] == ["queued 1", "queued 2"]
    assert after["list"] == [["made while bob was away", "Member"]]
    assert after["profile"] == ["made while bob was away", "alice", 2]
    assert after["missing"] == 10010

    cut_bob()
    assert page.evaluate(SDK_LOGOUT_JS) == {"failed": 6010, "status": "fail"}

    link.restore()
    kicked = page.evaluate(SDK_KICK_JS, args)
    assert kicked["kicked"] == [{"type": "multipleAccount"}]
    assert kicked["events"] == [
        "sdkStateReady",
        "sdkStateNotReady",  # the logout
        "sdkStateReady",
        "kickedOut",
        "sdkStateNotReady",
    ]
    assert kicked["refusal"] == 6208
    assert kicked["netAtKick"] == "disconnected"
    assert kicked["quiet"] is True
    assert kicked["bob2Works"] == 0


# bob's first page is away (its link cut) when bob signs in on a second one; the site
# app set to allow one instance. When the first comes back, it learns it was kicked.
AWAY_SETUP_JS = (
    """
async ({SDKAppID, sigs, base}) => {"""
    + SDK_HELPERS_JS
    + """
  const [TB, TB2] = await Promise.all([load('away'), load('newer')]);
  const seen = {away: [], newer: [], net: []};
  const away = TB.create({SDKAppID, proxyServer: `${base}?bob`});
  away.on(TB.EVENT.KICKED_OUT, (e) => seen.away.push(e.data.type));
  away.on(TB.EVENT.NET_STATE_CHANGE, (e) => seen.net.push(e.data.state));
  await login(TB, 'bob', null, away);
  window.__away = {TB, TB2, away, seen, until, login, base};
}
"""
)

AWAY_NEWER_LOGIN_JS = """
async () => {
  const {TB, TB2, away, seen, until, login, base} = window.__away;
  await until('the cut noticed', () => seen.net.at(-1) !== TB.TYPES.NET_STATE_CONNECTED);
  const newer = await login(TB2, 'bob', `${base}?newer`);
  newer.on(TB2.EVENT.KICKED_OUT, (e) => seen.newer.push(e.data.type));
  window.__away.newer = newer;
}
"""

AWAY_BACK_JS = """
async () => {
  const {away, newer, seen, until} = window.__away;
  await until('the kick, told on coming back', () => seen.away.length === 1, 60000);
  const refusal = await away.getConversationList().then(() => null, (e) => e.code);
  const reconnectsAtKick = seen.net.length;
  // A kicked instance that went on reconnecting would kick the newer one within seconds.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return {
    away: seen.away, refusal, quiet: seen.net.length === reconnectsAtKick,
    newer: seen.newer, newerWorks: (await newer.getConversationList()).code,
  };
}
"""


@pytest.mark.django_db(transaction=True)
def test_a_page_kicked_while_away_is_told_when_it_comes_back(one_instance_app, live, browser):
    site_app = one_instance_app
    link = CuttableLink()
    page = browser.new_page()
    page.route_web_socket(re.compile(r"/ws/im/\?bob$"), link.route)
    page.goto(f"{live.url}/accounts/login/")
    page.evaluate(
        AWAY_SETUP_JS,
        {"SDKAppID": site_app.sdkappid, "sigs": bob_sigs(site_app), "base": live.ws_url},
    )
    link.cut()
    page.evaluate(AWAY_NEWER_LOGIN_JS)
    link.restore()
    back = page.evaluate(AWAY_BACK_JS)
    assert back == {
        "away": ["multipleAccount"],
        "refusal": 6208,
        "quiet": True,
        "newer": [],
        "newerWorks": 0,
    }
