"""The conversation list in headless Chromium (issue 15): pin to top in every tab, mute
(no badge, a quiet title), the search box, the row menu by keyboard, and desktop
notifications with a sound, asked for only on a click."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import PASSWORD
from tests.test_browser_messaging import (
    USERS,
    bubbles,
    conversation,
    reload,
    sdk_send,
    sign_in,
    start_chat,
    wait_ready,
)

# The page's behaviour; the server's side of it is tested over the WebSocket in both
# passes (tests/test_ws_*), so the browser tests run in the first pass only.
pytestmark = pytest.mark.once

# Replaces the browser's Notification and AudioContext by stubs that record what the
# page makes: `window.__notes` (each notification: title, body, tag, and the object, so
# a test can click it), `window.__asked` (permission requests), `window.__tones`.
STUBS = """
(() => {
  const permission = %r;
  window.__notes = [];
  window.__asked = 0;
  window.__tones = 0;
  class RecordingNotification {
    static permission = permission;
    static async requestPermission() {
      window.__asked += 1;
      RecordingNotification.permission = 'granted';
      return 'granted';
    }
    constructor(title, options = {}) {
      this.title = title;
      this.body = options.body;
      this.tag = options.tag;
      this.closed = false;
      window.__notes.push(this);
    }
    close() { this.closed = true; }
  }
  window.Notification = RecordingNotification;
  const node = () => ({connect: (next) => next, start() {}, stop() {}, type: '',
    frequency: {value: 0}, gain: {setValueAtTime() {}, exponentialRampToValueAtTime() {}}});
  window.AudioContext = class {
    state = 'running';
    currentTime = 0;
    destination = {};
    resume() { return Promise.resolve(); }
    createOscillator() { window.__tones += 1; return node(); }
    createGain() { return node(); }
  };
})();
"""


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    return {name: User.objects.create_user(name, password=PASSWORD) for name in USERS}


@pytest.fixture
def dave(transactional_db) -> User:
    """A site user with a full name: his chat nick is "Dàwèi Lin"."""
    return User.objects.create_user("dave", password=PASSWORD, first_name="Dàwèi", last_name="Lin")


def with_stubs(permission: str):
    def prepare(context: BrowserContext) -> None:
        context.add_init_script(STUBS % permission)

    return prepare


def notes(page: Page) -> list[dict]:
    return page.evaluate("window.__notes.map(({title, body, tag}) => ({title, body, tag}))")


def menu_item(page: Page, testid: str):
    return page.locator(f"[data-testid=conversation-menu] [data-testid={testid}]")


def open_menu(page: Page, conversation_id: str) -> None:
    row = page.locator(f'li[data-conversation-id="{conversation_id}"]')
    row.locator("[data-testid=conversation-menu-toggle]").click()
    expect(page.locator("[data-testid=conversation-menu]")).to_be_visible()


ROW_BOB = 'li[data-conversation-id="C2Cbob"]'


def order(page: Page) -> list[str | None]:
    rows = page.locator("[data-testid=conversation]")
    return [rows.nth(i).get_attribute("data-conversation-id") for i in range(rows.count())]


def messages_from(page: Page, *texts: str) -> None:
    """Texts to alice from the user signed in on ``page``."""
    sdk_send(page, "alice", [{"text": text} for text in texts])


@pytest.mark.django_db(transaction=True)
def test_pin_moves_a_row_to_the_top_in_both_tabs_by_keyboard(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    carol = sign_in(browser, live, "carol")
    first = sign_in(browser, live, "alice")
    second = first.context.new_page()  # alice's second tab: same cookies, its own socket
    second.goto(f"{live.url}/")
    wait_ready(second)
    messages_from(bob, "from bob")
    messages_from(carol, "from carol")
    for tab in (first, second):
        expect(tab.locator("[data-testid=conversation]").first).to_have_attribute(
            "data-conversation-id", "C2Ccarol"
        )

    # By keyboard: focus bob's row menu button, open it, the first item is focused.
    toggle = first.locator(
        'li[data-conversation-id="C2Cbob"] [data-testid=conversation-menu-toggle]'
    )
    expect(toggle).to_have_attribute("aria-haspopup", "menu")
    toggle.focus()
    first.keyboard.press("Enter")
    pin = menu_item(first, "menu-pin")
    expect(pin).to_be_focused()
    expect(pin).to_have_text("Pin to top")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    first.keyboard.press("ArrowDown")
    expect(menu_item(first, "menu-mute")).to_be_focused()
    first.keyboard.press("ArrowUp")
    expect(pin).to_be_focused()
    first.keyboard.press("Enter")

    for tab in (first, second):
        expect(tab.locator("[data-testid=conversation]").first).to_have_attribute(
            "data-conversation-id", "C2Cbob"
        )
        expect(conversation(tab, "C2Cbob").locator("[data-testid=pinned]")).to_be_visible()
    expect(first.locator("[data-testid=conversation-menu]")).to_be_hidden()
    # The focus stays on bob's row, now at the top.
    expect(first.locator(f"{ROW_BOB} [data-testid=conversation-menu-toggle]")).to_be_focused()

    # A newer message elsewhere does not pass it; a reload keeps it pinned. (Newer by a
    # second: like TIM's lastTime, the list's times are whole seconds, and messages of the
    # same second keep the order the page last had.)
    time.sleep(1.1)
    messages_from(carol, "again")
    expect(conversation(first, "C2Ccarol").locator(".preview")).to_have_text("again")
    assert order(first)[0] == "C2Cbob"
    reload(second)
    assert order(second)[:2] == ["C2Cbob", "C2Ccarol"]

    # Unpinned from the second tab, by pointer; Escape closes a menu without acting.
    open_menu(second, "C2Cbob")
    expect(menu_item(second, "menu-pin")).to_have_text("Unpin")
    second.keyboard.press("Escape")
    expect(second.locator("[data-testid=conversation-menu]")).to_be_hidden()
    open_menu(second, "C2Cbob")
    menu_item(second, "menu-pin").click()
    for tab in (first, second):
        expect(tab.locator("[data-testid=conversation]").first).to_have_attribute(
            "data-conversation-id", "C2Ccarol"
        )
        expect(tab.locator("[data-testid=pinned]")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("locale", "muted"), [("en-US", "muted"), ("zh-CN", "免打扰")])
def test_mute_hides_the_badge_and_keeps_the_title_quiet(site_users, live, browser, locale, muted):
    sign_in(browser, live, "carol").context.close()  # carol exists in the chat
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice", locale=locale, prepare=with_stubs("granted"))
    start_chat(alice, "carol")  # alice is busy elsewhere
    messages_from(bob, "one", "two")
    row = conversation(alice, "C2Cbob")
    expect(row.locator("[data-testid=unread]")).to_have_text("2")
    expect(alice).to_have_title(re.compile(r"^\(2\) "))

    open_menu(alice, "C2Cbob")
    mute = menu_item(alice, "menu-mute")
    expect(mute).to_have_text("Mute notifications" if locale == "en-US" else "消息免打扰")
    mute.click()
    quiet = row.locator("[data-testid=remind-quiet]")
    expect(quiet).to_have_text(muted)
    expect(quiet).to_have_attribute("data-unread", "true")  # a dot, not a count
    expect(row.locator("[data-testid=unread]")).to_have_count(0)
    expect(alice.locator("[data-testid=total-unread]")).to_be_hidden()
    expect(alice).not_to_have_title(re.compile(r"^\("))

    # Still quiet after another message and a reload; no notification for it.
    alice.evaluate("window.__notes.length = 0")
    messages_from(bob, "three")
    expect(row.locator(".preview")).to_have_text("three")
    expect(row.locator("[data-testid=unread]")).to_have_count(0)
    expect(alice).not_to_have_title(re.compile(r"^\("))
    assert notes(alice) == []
    reload(alice)
    expect(quiet).to_be_visible()
    expect(alice).not_to_have_title(re.compile(r"^\("))

    open_menu(alice, "C2Cbob")
    unmute = menu_item(alice, "menu-mute")
    expect(unmute).to_have_text("Unmute notifications" if locale == "en-US" else "取消免打扰")
    unmute.click()
    expect(row.locator("[data-testid=unread]")).to_have_text("3")
    expect(alice).to_have_title(re.compile(r"^\(3\) "))


@pytest.mark.once  # the page's own filtering: the same on every configuration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("locale", "placeholder", "nothing"),
    [
        ("en-US", "Search conversations", "No conversation matches “zzz”."),
        ("zh-CN", "搜索会话", "没有与“zzz”匹配的会话。"),
    ],
)
def test_search_filters_the_list_as_you_type(
    site_users, dave, live, browser, locale, placeholder, nothing
):
    for name in ("bob", "carol", "dave"):
        sign_in(browser, live, name).context.close()  # each exists in the chat
    alice = sign_in(browser, live, "alice", locale=locale)
    for peer in ("bob", "carol", "dave"):
        # start_chat, but dave's title becomes his nick as soon as his profile comes.
        alice.fill("[data-testid=peer-input]", peer)
        alice.click("[data-testid=start-chat]")
        expect(
            alice.locator(f'[aria-current=true][data-conversation-id="C2C{peer}"]')
        ).to_be_visible()
        alice.fill("[data-testid=message-input]", f"hi {peer}")
        alice.click("[data-testid=send]")
        expect(bubbles(alice).last).to_have_text(f"hi {peer}")
    rows = alice.locator("[data-testid=conversation]")
    expect(rows).to_have_count(3)

    search = alice.locator("[data-testid=conversation-search]")
    expect(search).to_have_attribute("placeholder", placeholder)
    search.press_sequentially("car")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-conversation-id", "C2Ccarol")
    search.fill("dàw")  # dave's nick, any case
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-conversation-id", "C2Cdave")
    search.fill("zzz")
    expect(rows).to_have_count(0)
    expect(alice.locator("[data-testid=no-matches]")).to_have_text(nothing)
    expect(alice.locator("[data-testid=no-conversations]")).to_be_hidden()
    search.press("Escape")
    expect(search).to_have_value("")
    expect(rows).to_have_count(3)
    expect(alice.locator("[data-testid=no-matches]")).to_be_hidden()


@pytest.mark.django_db(transaction=True)
def test_group_search_by_name_and_notifications_for_other_conversations(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    carol = sign_in(browser, live, "carol")
    alice = sign_in(
        browser, live, "alice", prepare=with_stubs("granted"), permissions=["notifications"]
    )
    # A group of the three, named in Chinese.
    alice.click("[data-testid=new-group-toggle]")
    alice.fill("[data-testid=group-name]", "茶馆")
    alice.fill("[data-testid=group-members]", "bob, carol")
    alice.click("[data-testid=create-group]")
    expect(alice.locator("[data-testid=conversation-title]")).to_have_text("茶馆")
    group_id = alice.locator('[data-testid=conversation][data-conversation-id^="GROUP"]')
    expect(group_id).to_have_count(1)

    start_chat(alice, "carol")  # the open, visible conversation
    sdk_send(carol, "alice", [{"text": "seen already"}])
    expect(bubbles(alice).last).to_have_text("seen already")
    messages_from(bob, "hello alice")
    expect(conversation(alice, "C2Cbob").locator("[data-testid=unread]")).to_have_text("1")
    assert notes(alice) == [{"title": "bob", "body": "hello alice", "tag": "C2Cbob"}]
    assert alice.evaluate("window.__tones") == 0  # sound is off until turned on

    # The sound setting is remembered.
    sound = alice.locator("[data-testid=notify-sound]")
    sound.check()
    reload(alice)
    expect(sound).to_be_checked()
    start_chat(alice, "carol")
    messages_from(bob, "ring")
    expect(conversation(alice, "C2Cbob").locator(".preview")).to_have_text("ring")
    assert alice.evaluate("window.__tones") > 0
    assert [n["body"] for n in notes(alice)] == ["ring"]

    # A group message shows its sender; the group can be found by its name.
    group = group_id.get_attribute("data-conversation-id")
    bob.evaluate(
        """async ({to}) => {
          const {default: TIM} = await import('/static/im/tim.js');
          const root = document.querySelector('[data-testid=chat]');
          const tim = TIM.create({SDKAppID: Number(root.dataset.sdkappid)});
          const payload = {text: '喝茶'};
          await tim.sendMessage(tim.createTextMessage({to, conversationType: 'GROUP', payload}));
        }""",
        {"to": group.removeprefix("GROUP")},
    )
    expect(conversation(alice, group).locator(".preview")).to_have_text("bob: 喝茶")
    assert notes(alice)[-1] == {"title": "茶馆", "body": "bob: 喝茶", "tag": group}
    alice.locator("[data-testid=conversation-search]").fill("茶")
    expect(alice.locator("[data-testid=conversation]")).to_have_count(1)
    alice.locator("[data-testid=conversation-search]").press("Escape")

    # Clicking a notification opens its conversation.
    alice.evaluate("window.__notes.find((n) => n.tag === 'C2Cbob').onclick()")
    expect(alice.locator("[data-testid=conversation-title]")).to_have_text("bob")
    expect(bubbles(alice).last).to_have_text("ring")

    # Muted: no notification, no sound.
    start_chat(alice, "carol")
    open_menu(alice, "C2Cbob")
    menu_item(alice, "menu-mute").click()
    expect(conversation(alice, "C2Cbob").locator("[data-testid=remind-quiet]")).to_be_visible()
    before = (len(notes(alice)), alice.evaluate("window.__tones"))
    messages_from(bob, "quiet please")
    expect(conversation(alice, "C2Cbob").locator(".preview")).to_have_text("quiet please")
    assert (len(notes(alice)), alice.evaluate("window.__tones")) == before


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("locale", "enable", "desktop"),
    [
        ("en-US", "Turn on notifications", "Desktop notifications"),
        ("zh-CN", "开启通知", "桌面通知"),
    ],
)
def test_permission_is_asked_only_on_a_click(site_users, live, browser, locale, enable, desktop):
    alice = sign_in(browser, live, "alice", locale=locale, prepare=with_stubs("default"))
    button = alice.locator("[data-testid=notify-enable]")
    expect(button).to_have_text(enable)
    expect(button).to_be_visible()
    assert alice.evaluate("window.__asked") == 0  # not on load
    reload(alice)
    assert alice.evaluate("window.__asked") == 0
    button.click()
    expect(button).to_be_hidden()
    assert alice.evaluate("window.__asked") == 1
    option = alice.locator("label.notify-option").filter(has_text=desktop)
    expect(option).to_be_visible()
    expect(option.locator("input")).to_be_checked()


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.django_db(transaction=True)
def test_row_menu_fits_a_phone_screen(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice", viewport={"width": 390, "height": 844})
    messages_from(bob, "hi")
    toggle = alice.locator(f"{ROW_BOB} [data-testid=conversation-menu-toggle]")
    box = toggle.bounding_box()
    assert box["width"] >= 32 and box["height"] >= 32  # a finger can hit it
    assert box["x"] + box["width"] <= 390
    toggle.click()
    menu = alice.locator("[data-testid=conversation-menu]")
    expect(menu).to_be_visible()
    shown = menu.bounding_box()
    assert shown["x"] >= 0 and shown["x"] + shown["width"] <= 390
    assert shown["y"] + shown["height"] <= 844
    expect(menu.locator("[role=menuitem]")).to_have_count(3)
    # A click elsewhere (the list's search box: on a phone the list is all there is)
    # closes it.
    alice.locator("[data-testid=conversation-search]").click()
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
