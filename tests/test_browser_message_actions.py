"""Message actions in real headless Chromium (issue 15): the menu on each message
(right-click, long press on a touch screen, the keyboard), copy, reply with a quote,
forward, delete for me and recall, in English and Chinese."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import PASSWORD
from tests.test_browser_composer import signed_in
from tests.test_browser_messaging import (
    bubbles,
    conversation,
    reload,
    row_of,
    send,
    sign_in,
    start_chat,
)
from tests.test_browser_sessions import another_page

# The page's behaviour; the server's side of it is tested over the WebSocket in both
# passes (tests/test_ws_*), so the browser tests run in the first pass only.
pytestmark = pytest.mark.once

ACTIONS = ("copy", "reply", "forward", "delete", "recall")
LABELS = {
    "en": {"copy": "Copy", "reply": "Reply", "forward": "Forward", "delete": "Delete for me"},
    "zh": {"copy": "复制", "reply": "回复", "forward": "转发", "delete": "仅为我删除"},
}


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    return {
        name: User.objects.create_user(name, password=PASSWORD)
        for name in ("alice", "bob", "carol")
    }


def with_clipboard(live):
    def prepare(context: BrowserContext) -> None:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)

    return prepare


def menu(page: Page):
    return page.locator("[data-testid=message-menu]")


def item(page: Page, action: str):
    return menu(page).locator(f"[data-testid=action-{action}]")


def open_menu(page: Page, text: str) -> None:
    bubble = bubbles(page).filter(has_text=text)
    bubble.click(button="right")
    expect(menu(page)).to_be_visible()


def pick(page: Page, text: str, action: str) -> None:
    open_menu(page, text)
    item(page, action).click()
    expect(menu(page)).to_have_count(0)


def chat_between(browser, live, language: str = "en", prepare=None) -> tuple[Page, Page]:
    """alice and bob signed in, each with the other's chat open and a message from each."""
    alice = signed_in(browser, live, "alice", language, prepare)
    bob = signed_in(browser, live, "bob", language)
    start_chat(alice, "bob")
    send(alice, "hello from alice")
    start_chat(bob, "alice")
    expect(row_of(bob, "hello from alice")).to_be_visible()
    send(bob, "hello from bob")
    expect(row_of(alice, "hello from bob")).to_be_visible()
    return alice, bob


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_menu_offers_what_is_allowed_and_copy_fills_the_clipboard(
    site_users, live, browser, language
):
    alice, bob = chat_between(browser, live, language, with_clipboard(live))
    open_menu(alice, "hello from alice")
    for action, label in LABELS[language].items():
        expect(item(alice, action)).to_have_text(label)
        expect(item(alice, action)).to_be_enabled()
    # Her own fresh message: she may recall it.
    expect(item(alice, "recall")).to_be_enabled()
    expect(menu(alice)).to_have_attribute("role", "menu")
    item(alice, "copy").click()
    assert alice.evaluate("navigator.clipboard.readText()") == "hello from alice"

    # Bob's message: no recall for her.
    open_menu(alice, "hello from bob")
    expect(item(alice, "copy")).to_be_enabled()
    expect(item(alice, "recall")).to_have_count(0)
    alice.keyboard.press("Escape")
    expect(menu(alice)).to_have_count(0)
    for page in (alice, bob):
        page.context.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_reply_shows_its_quote_on_both_sides(site_users, live, browser, language):
    alice, bob = chat_between(browser, live, language)
    bar = alice.locator("[data-testid=reply-bar]")
    pick(alice, "hello from bob", "reply")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("hello from bob")
    expect(alice.locator("[data-testid=message-input]")).to_be_focused()
    alice.click("[data-testid=reply-cancel]")
    expect(bar).to_be_hidden()

    pick(alice, "hello from bob", "reply")
    send(alice, "yes, hello")
    expect(bar).to_be_hidden()
    for page in (alice, bob):
        quote = row_of(page, "yes, hello").locator("[data-testid=quote]")
        expect(quote).to_contain_text("hello from bob")
        # The bubble is the reply's own text; the quote sits above it.
        expect(row_of(page, "yes, hello").locator("[data-testid=message]")).to_have_text(
            "yes, hello"
        )
    # A click on the quote brings the original into view and focuses it.
    row_of(bob, "yes, hello").locator("[data-testid=quote]").click()
    expect(bubbles(bob).filter(has_text="hello from bob")).to_be_focused()
    for page in (alice, bob):
        page.context.close()


def test_forward_reaches_another_conversation(site_users, live, browser):
    alice, bob = chat_between(browser, live)
    carol = signed_in(browser, live, "carol")
    start_chat(alice, "carol")
    send(alice, "hi carol")
    expect(conversation(carol, "C2Calice")).to_be_visible()
    expect(conversation(alice, "C2Ccarol")).to_be_visible()  # in alice's list too
    conversation(alice, "C2Cbob").click()
    # Listed by the SDK (not only as the open chat): the forward dialog offers that list.
    expect(conversation(alice, "C2Ccarol")).to_be_visible()

    pick(alice, "hello from bob", "forward")
    dialog = alice.locator("[data-testid=forward-dialog]")
    expect(dialog).to_be_visible()
    targets = dialog.locator("[data-testid=forward-target]")
    expect(targets).to_have_count(2)
    alice.fill("[data-testid=forward-filter]", "car")
    expect(targets).to_have_count(1)
    targets.first.click()
    expect(dialog).to_be_hidden()

    conversation(carol, "C2Calice").click()
    expect(row_of(carol, "hello from bob")).to_be_visible()
    expect(bubbles(carol)).to_have_count(2)
    for page in (alice, bob, carol):
        page.context.close()


def test_the_forward_dialog_keeps_the_focus_when_its_list_changes(site_users, live, browser):
    # carol writes while alice's keyboard is on a target: the list refills (carol's
    # conversation comes first) and the focus stays on the target alice was on.
    alice, bob = chat_between(browser, live)
    carol = signed_in(browser, live, "carol")
    pick(alice, "hello from bob", "forward")
    target = alice.locator("[data-testid=forward-target][data-conversation-id=C2Cbob]")
    target.focus()
    expect(target).to_be_focused()
    start_chat(carol, "alice")
    send(carol, "hi alice")
    forward_to_carol = "[data-testid=forward-target][data-conversation-id=C2Ccarol]"
    expect(alice.locator(forward_to_carol)).to_be_visible()
    expect(target).to_be_focused()
    for page in (alice, bob, carol):
        page.context.close()


def test_delete_for_me_removes_it_for_alice_only_and_after_reload(
    site_users, site_app, live, browser
):
    alice, bob = chat_between(browser, live)
    send(alice, "keep this one")
    expect(row_of(bob, "keep this one")).to_be_visible()
    other_tab = another_page(alice, live)
    conversation(other_tab, "C2Cbob").click()
    expect(row_of(other_tab, "hello from bob")).to_be_visible()
    pick(alice, "hello from bob", "delete")
    expect(row_of(alice, "hello from bob")).to_have_count(0)
    expect(bubbles(alice)).to_have_count(2)
    # Her other tab drops it too (the server's MESSAGE_DELETED), and keeps the rest.
    expect(row_of(other_tab, "hello from bob")).to_have_count(0)
    expect(bubbles(other_tab)).to_have_count(2)
    reload(alice)
    conversation(alice, "C2Cbob").click()
    expect(row_of(alice, "keep this one")).to_be_visible()
    expect(row_of(alice, "hello from bob")).to_have_count(0)
    expect(row_of(bob, "hello from bob")).to_be_visible()
    expect(bubbles(bob)).to_have_count(3)
    for page in (alice, bob):
        page.context.close()


def test_recall_from_the_menu(site_users, live, browser):
    alice, bob = chat_between(browser, live)
    pick(alice, "hello from alice", "recall")
    expect(alice.locator("[data-testid=recalled]")).to_have_text("You recalled a message")
    expect(bob.locator("[data-testid=recalled]")).to_have_text("alice recalled a message")
    for page in (alice, bob):
        page.context.close()


@pytest.mark.once
def test_a_long_press_opens_the_menu_on_a_touch_screen(site_users, live, browser):
    bob = signed_in(browser, live, "bob")
    start_chat(bob, "alice")
    send(bob, "touch me")
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    alice = sign_in(browser, live, "alice", **phone)
    conversation(alice, "C2Cbob").click()
    bubble = row_of(alice, "touch me").locator("[data-testid=message]")
    expect(bubble).to_be_visible()
    box = bubble.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = alice.context.new_cdp_session(alice)

    # A tap is not a long press.
    alice.touchscreen.tap(x, y)
    alice.wait_for_timeout(700)
    expect(menu(alice)).to_have_count(0)

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    alice.wait_for_timeout(800)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(menu(alice)).to_be_visible()
    for action in ("copy", "reply", "forward", "delete"):
        expect(item(alice, action)).to_be_enabled()
    # Inside the screen.
    placed = menu(alice).bounding_box()
    assert placed["x"] >= 0 and placed["x"] + placed["width"] <= 390
    assert placed["y"] >= 0 and placed["y"] + placed["height"] <= 844
    for page in (alice, bob):
        page.context.close()


@pytest.mark.once
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_keyboard_opens_and_works_the_menu(site_users, live, browser, language):
    alice, bob = chat_between(browser, live, language)
    bubble = bubbles(alice).filter(has_text="hello from bob")
    bubble.focus()
    alice.keyboard.press("Shift+F10")
    expect(menu(alice)).to_be_visible()
    expect(item(alice, "copy")).to_be_focused()
    alice.keyboard.press("ArrowDown")
    expect(item(alice, "reply")).to_be_focused()
    alice.keyboard.press("ArrowUp")
    alice.keyboard.press("ArrowUp")
    expect(item(alice, "delete")).to_be_focused()  # wraps round (no recall: bob's message)
    alice.keyboard.press("Escape")
    expect(menu(alice)).to_have_count(0)
    expect(bubble).to_be_focused()
    # The ContextMenu key, and Enter on an item.
    alice.keyboard.press("ContextMenu")
    alice.keyboard.press("ArrowDown")
    alice.keyboard.press("Enter")
    expect(alice.locator("[data-testid=reply-bar]")).to_contain_text(LABELS[language]["reply"])
    # The "more" button shows on focus and opens the same menu.
    more = row_of(alice, "hello from alice").locator("[data-testid=message-more]")
    row_of(alice, "hello from alice").locator("[data-testid=message]").focus()
    expect(more).to_have_css("opacity", "1")
    more.click()
    expect(item(alice, "recall")).to_be_enabled()
    for page in (alice, bob):
        page.context.close()
