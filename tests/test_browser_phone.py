"""The chat page on a phone (390x844), in real headless Chromium (issue 15): one pane at a time,
the conversation list or the open conversation, with a back control and the browser's Back
between them; the head and the composer stay on screen when a keyboard shrinks the viewport;
the group panel and the profile dialog fit; a wider screen keeps both panes side by side."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser_groups import create_group
from tests.test_browser_messaging import conversation, send, sign_in, site_users, start_chat

__all__ = ["site_users"]  # the fixture, for the tests below

PHONE = {"width": 390, "height": 844}
BACK_LABEL = {"en": "Back to conversations", "zh": "返回会话列表"}


def phone_page(browser, live, username: str, language: str = "en") -> Page:
    """Signed in on a phone-sized screen, the pages in ``language`` (Chinese through the
    language cookie Django's LocaleMiddleware reads first)."""

    def prepare(context) -> None:
        if language == "zh":
            context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live.url}])

    return sign_in(browser, live, username, prepare=prepare, viewport=PHONE)


def expect_list_pane(page: Page) -> None:
    expect(page.locator("[data-testid=conversation-list]")).to_be_visible()
    expect(page.locator("[data-testid=peer-input]")).to_be_in_viewport()
    expect(page.locator("[data-testid=composer]")).to_be_hidden()
    expect(page.locator("[data-testid=conversation-title]")).to_be_hidden()


def expect_chat_pane(page: Page, title: str) -> None:
    head = page.locator("[data-testid=conversation-title]")
    expect(head).to_have_text(title)
    expect(head).to_be_in_viewport()
    expect(page.locator("[data-testid=message-input]")).to_be_in_viewport()
    expect(page.locator("[data-testid=back-to-list]")).to_be_in_viewport()
    expect(page.locator("[data-testid=conversation-list]")).to_be_hidden()
    expect(page.locator("[data-testid=peer-input]")).to_be_hidden()


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_one_pane_at_a_time_with_back_and_the_browsers_back(site_users, live, browser, language):
    bob = sign_in(browser, live, "bob")
    alice = phone_page(browser, live, "alice", language)
    expect_list_pane(alice)

    # Opening a conversation: it takes the screen, its heading focused for a screen reader.
    start_chat(alice, "bob")
    expect_chat_pane(alice, "bob")
    expect(alice.locator("[data-testid=conversation-title]")).to_be_focused()
    back = alice.locator("[data-testid=back-to-list]")
    expect(back).to_have_accessible_name(BACK_LABEL[language])
    expect(back).to_have_attribute("title", BACK_LABEL[language])
    send(alice, "hello from a phone")
    expect(alice.locator("[data-testid=message]")).to_have_text(["hello from a phone"])
    expect(alice.locator("[data-testid=message-row][data-status=success]")).to_have_count(1)

    # The back button, from the keyboard: the list again, the row that was open focused.
    back.focus()
    alice.keyboard.press("Enter")
    expect_list_pane(alice)
    row = conversation(alice, "C2Cbob")
    expect(row).to_be_focused()
    expect(row).to_have_attribute("aria-current", "true")
    # A message that redraws the list leaves the focus on the row.
    start_chat(bob, "alice")
    send(bob, "are you there?")
    expect(row.locator(".preview")).to_have_text("are you there?")
    expect(row).to_be_focused()

    # Enter on the focused row opens it again; the browser's Back returns to the list.
    alice.keyboard.press("Enter")
    expect_chat_pane(alice, "bob")
    alice.go_back()
    expect_list_pane(alice)
    expect(row).to_be_focused()
    # Back went to the list within the page: still signed in on the chat, nothing reloaded.
    assert alice.url == f"{live.url}/"
    expect(alice.locator("[data-testid=chat]")).to_have_attribute("data-state", "ready")

    # A second visit and the back button: one history entry per visit, so Back stays in step.
    row.click()
    expect_chat_pane(alice, "bob")
    back.click()
    expect_list_pane(alice)
    assert alice.evaluate("history.state") is None


# A phone's on-screen keyboard, as Chrome on Android and Safari on iOS show one by default: the
# visual viewport shrinks, the layout viewport (and with it 100dvh) does not. Headless Chromium
# has no keyboard, so the page gets a visualViewport whose height the test sets.
KEYBOARD_JS = """(() => {
  const real = window.visualViewport;
  const fake = new EventTarget();
  let covered = 0;
  Object.defineProperties(fake, {
    height: {get: () => real.height - covered},
    width: {get: () => real.width},
    scale: {get: () => real.scale},
    offsetTop: {get: () => 0},
    offsetLeft: {get: () => 0},
  });
  real.addEventListener('resize', () => fake.dispatchEvent(new Event('resize')));
  Object.defineProperty(window, 'visualViewport', {get: () => fake});
  window.showKeyboard = (height) => { covered = height; fake.dispatchEvent(new Event('resize')); };
})();"""


def visible_bounds(page: Page, testid: str) -> dict:
    return page.locator(f"[data-testid={testid}]").evaluate(
        "(e) => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; }"
    )


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_the_head_and_composer_stay_on_screen_above_a_keyboard(site_users, live, browser):
    alice = sign_in(
        browser, live, "alice", viewport=PHONE, prepare=lambda c: c.add_init_script(KEYBOARD_JS)
    )
    start_chat(alice, "bob")
    for n in range(12):  # more than the screen holds
        send(alice, f"line {n}")
    expect(alice.locator("[data-testid=message]")).to_have_count(12)
    box = alice.locator("[data-testid=message-input]")
    box.focus()

    # A keyboard covers the lower 380 pixels: the head and the composer are above it.
    alice.evaluate("showKeyboard(380)")
    expect(alice.locator("html")).to_have_css("--app-height", "464px")
    for testid in ("conversation-title", "back-to-list", "message-input", "send"):
        bounds = visible_bounds(alice, testid)
        assert 0 <= bounds["top"] and bounds["bottom"] <= 464, (testid, bounds)
    expect(box).to_be_focused()
    # The newest message can still be scrolled to, above the keyboard too.
    assert alice.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
    last = alice.locator("[data-testid=message]").last
    last.scroll_into_view_if_needed()
    assert visible_bounds(alice, "message-list")["bottom"] <= 464

    # The keyboard closes: the page takes the whole screen again.
    alice.evaluate("showKeyboard(0)")
    expect(alice.locator("html")).to_have_css("--app-height", "844px")
    assert 844 - 120 < visible_bounds(alice, "message-input")["bottom"] <= 844

    # A browser that resizes the window for its keyboard instead (interactive-widget): the same.
    alice.set_viewport_size({"width": 390, "height": 464})
    expect(alice.locator("html")).to_have_css("--app-height", "464px")
    for testid in ("conversation-title", "back-to-list", "message-input", "send"):
        expect(alice.locator(f"[data-testid={testid}]")).to_be_in_viewport()


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_the_group_panel_and_a_profile_fit_a_phone(site_users, live, browser):
    alice = phone_page(browser, live, "alice")
    create_group(alice, "Hikers", type_="Private", members="bob")
    expect_chat_pane(alice, "Hikers")

    # The group's panel takes the conversation's place under its head, and gives it back.
    toggle = alice.locator("[data-testid=group-panel-toggle]")
    toggle.click()
    panel = alice.locator("[data-testid=group-panel]")
    expect(panel).to_be_in_viewport()
    expect(alice.locator("[data-testid=composer]")).to_be_hidden()
    expect(toggle).to_be_in_viewport()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    width = panel.evaluate("(p) => p.getBoundingClientRect().width")
    assert width <= PHONE["width"]
    # Its last control can be scrolled to and is on screen.
    last = panel.locator("button").last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    toggle.click()
    expect(panel).to_be_hidden()
    expect(alice.locator("[data-testid=message-input]")).to_be_in_viewport()

    # A peer's profile: a dialog within the screen, closed with its button.
    alice.locator("[data-testid=back-to-list]").click()
    start_chat(alice, "bob")
    alice.click("[data-testid=peer-profile-toggle]")
    dialog = alice.locator("[data-testid=profile-dialog]")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    close = dialog.locator("[data-testid=dialog-close]")
    expect(close).to_be_in_viewport()
    close.click()
    expect(dialog).to_be_hidden()
    expect_chat_pane(alice, "bob")


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_a_desktop_keeps_both_panes_and_focuses_the_composer(site_users, live, browser):
    alice = sign_in(browser, live, "alice")  # 1280x720
    entries = alice.evaluate("history.length")
    start_chat(alice, "bob")
    expect(alice.locator("[data-testid=message-input]")).to_be_focused()
    for testid in ("conversation-list", "peer-input", "conversation-title", "message-input"):
        expect(alice.locator(f"[data-testid={testid}]")).to_be_visible()
    expect(alice.locator("[data-testid=back-to-list]")).to_be_hidden()
    list_box = alice.locator(".sidebar").bounding_box()
    chat_box = alice.locator(".conversation").bounding_box()
    assert list_box["x"] + list_box["width"] <= chat_box["x"]  # side by side
    assert alice.evaluate("history.length") == entries  # no history entry for a pane
