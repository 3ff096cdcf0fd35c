"""The pages against axe-core, in real headless Chromium (issue 15): no serious or critical
violation on the sign-in page, the chat (a conversation open, its panels and dialogs, on a
desktop and on a phone) and the admin; the chat's message list and dialogs say what they are,
and the keyboard's focus goes where the eye does.

A new part of the chat page gets checked by adding a step to CHAT_STATES (it gets the page with
alice and bob's conversation open) or by calling tests.axe.assert_accessible in its own test.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_accessible, axe_violations
from tests.test_browser_admin import admin_signed_in
from tests.test_browser_groups import create_group, open_panel
from tests.test_browser_messaging import (
    conversation,
    reload,
    send,
    sign_in,
    site_users,
    start_chat,
)

__all__ = ["site_users"]  # the fixture, for the tests below

DESKTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


def _chinese(live) -> Callable:
    def prepare(context) -> None:
        context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live.url}])

    return prepare


# --- the sign-in page ---


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_sign_in_page_has_no_serious_violations(site_users, live, browser, language):
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    if language == "zh":
        _chinese(live)(context)
    page = context.new_page()
    page.goto(f"{live.url}/accounts/login/?next=/")
    assert_accessible(page)
    # With the form's error showing.
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not the password")
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=login-error]")).to_be_visible()
    assert_accessible(page)


# --- the chat page, in the states people see it in ---


def _conversation(page: Page) -> None:
    """As the test leaves it: alice and bob's conversation open, messages both ways."""


def _to_list(page: Page) -> None:
    """On a phone, back to the conversation list (on a desktop it is always there)."""
    back = page.locator("[data-testid=back-to-list]")
    if back.is_visible():
        back.click()
        expect(page.locator("[data-testid=new-chat]")).to_be_visible()


def _group_panel(page: Page) -> None:
    _to_list(page)
    create_group(page, "Hikers", type_="Private", members="bob")
    send(page, "who is coming?")
    open_panel(page)


def _profile_dialog(page: Page) -> None:
    page.click("[data-testid=peer-profile-toggle]")
    expect(page.locator("[data-testid=profile-card]")).to_contain_text("bob")


def _settings_dialog(page: Page) -> None:
    page.click("[data-testid=settings-open]")
    expect(page.locator("[data-testid=settings]")).to_be_visible()


def _emoji_picker(page: Page) -> None:
    page.click("[data-testid=emoji-button]")
    expect(page.locator("[data-testid=emoji-picker]")).to_be_visible()


def _new_group_form(page: Page) -> None:
    _to_list(page)
    page.click("[data-testid=new-group-toggle]")
    expect(page.locator("[data-testid=new-group]")).to_be_visible()


CHAT_STATES: dict[str, Callable[[Page], None]] = {
    "conversation": _conversation,
    "conversation list": _to_list,
    "new group form": _new_group_form,
    "group panel": _group_panel,
    "profile dialog": _profile_dialog,
    "settings dialog": _settings_dialog,
    "emoji picker": _emoji_picker,
}


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("state", list(CHAT_STATES))
def test_the_chat_page_has_no_serious_violations(site_users, live, browser, viewport, state):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice", viewport=viewport)
    start_chat(alice, "bob")
    send(alice, "hello bob, see https://example.com/a")
    start_chat(bob, "alice")
    send(bob, "hi alice")
    expect(alice.locator("[data-testid=message]")).to_have_count(2)
    CHAT_STATES[state](alice)
    assert_accessible(alice)


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_the_chat_page_in_chinese_has_no_serious_violations(site_users, live, browser):
    alice = sign_in(browser, live, "alice", prepare=_chinese(live))
    start_chat(alice, "bob")
    send(alice, "你好")
    assert_accessible(alice)


# --- the admin ---


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/admin/", "/admin/im/account/", "/admin/im/message/"])
def test_the_admin_has_no_serious_violations(site_users, app_admin, live, browser, path):
    page = admin_signed_in(browser, live)
    page.goto(f"{live.url}{path}")
    assert_accessible(page)


# --- the helper itself ---


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_the_helper_reports_what_axe_finds(live, browser):
    """A page with a known problem: the helper finds it (so a clean result means something)."""
    page = browser.new_page()
    page.goto(f"{live.url}/accounts/login/")
    page.evaluate("document.querySelector('label[for=id_username]').remove()")
    found = axe_violations(page)
    assert [v["id"] for v in found] == ["label"]
    assert found[0]["impact"] == "critical"
    assert "#id_username" in found[0]["nodes"][0]["target"]
    assert axe_violations(page, exclude=["#id_username"]) == []


# --- what axe cannot see: roles that describe behaviour, the keyboard, the focus ---


# From now on, the message log's aria-live each time rows go into it (window.liveAdds): what a
# screen reader is told to read out ("polite") or not ("off").
WATCH_LIVE_JS = """() => {
  window.liveAdds = [];
  const log = document.querySelector('[role=log]');
  new MutationObserver((changes) => {
    if (changes.some((c) => c.addedNodes.length)) liveAdds.push(log.getAttribute('aria-live'));
  }).observe(log.querySelector('ol'), {childList: true});
}"""


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_the_message_list_is_a_log_that_gains_only_the_new_message(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    start_chat(alice, "bob")
    send(alice, "first")
    send(alice, "second")
    log = alice.get_by_role("log", name="bob")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log.locator("[data-testid=message]")).to_have_text(["first", "second"])
    expect(alice.locator("[data-testid=message-row][data-status=success]")).to_have_count(2)

    # A screen reader reads what is added to a log: a new message must be the only row added,
    # the ones on screen stay the same nodes (marked here, to be found again).
    alice.evaluate(
        "document.querySelectorAll('[data-testid=message-row]').forEach((r) => r.keptNode = true)"
    )
    alice.evaluate(WATCH_LIVE_JS)
    start_chat(bob, "alice")
    send(bob, "third")
    expect(log.locator("[data-testid=message]")).to_have_text(["first", "second", "third"])
    kept = alice.evaluate(
        "[...document.querySelectorAll('[data-testid=message-row]')].map((r) => !!r.keptNode)"
    )
    assert kept == [True, True, False]
    assert alice.evaluate("liveAdds") == ["polite"]  # read out, as it came

    # Opening a conversation and loading its history is no news: the log is silenced for it.
    reload(alice)
    alice.evaluate(WATCH_LIVE_JS)
    conversation(alice, "C2Cbob").click()
    expect(log.locator("[data-testid=message]")).to_have_text(["first", "second", "third"])
    expect(log).to_have_attribute("aria-live", "polite")
    adds = alice.evaluate("liveAdds")
    assert adds and set(adds) == {"off"}, adds


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_dialogs_are_modal_labelled_take_the_focus_and_give_it_back(
    site_users, live, browser, language
):
    alice = sign_in(browser, live, "alice", prepare=_chinese(live) if language == "zh" else None)
    start_chat(alice, "bob")
    names = {
        "en": ("Profile & settings", "Profile"),
        "zh": ("个人资料与设置", "资料"),
    }[language]

    for opener, name in (("settings-open", names[0]), ("peer-profile-toggle", names[1])):
        button = alice.locator(f"[data-testid={opener}]")
        button.focus()
        alice.keyboard.press("Enter")
        dialog = alice.get_by_role("dialog", name=name, exact=True)
        expect(dialog).to_be_visible()
        assert dialog.evaluate("(d) => d.matches(':modal')")  # the rest of the page is inert
        assert dialog.evaluate("(d) => d.contains(document.activeElement)")
        alice.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(button).to_be_focused()


# A control's name that survives the page drawing it again (the list and the message rows are
# rebuilt as things change): its testid, id, name or tag, and the conversation or message it
# belongs to.
_KEY_JS = """(c) => [
  c.closest('[data-conversation-id]')?.dataset.conversationId ?? '',
  c.closest('[data-message-id]')?.dataset.messageId ?? '',
  c.dataset.testid || c.id || c.name || c.localName,
  c.getAttribute('href') ?? '',
].join(' ')"""

# Every control the page shows, by key (a control taken out of the tab order is not one).
_CONTROLS_JS = f"""() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
  )].filter((c) => !c.disabled && c.tabIndex >= 0 && c.checkVisibility()
    && !c.closest('dialog:not([open]), [inert]')).map({_KEY_JS})"""


def reached_by_tab(page: Page, first: str, presses: int) -> set[str]:
    """The keys of the controls that have the focus from ``first`` (the brand link, at the top
    of the page) on, through ``presses`` presses of Tab."""
    page.locator(first).focus()
    seen = set()
    for _ in range(presses + 1):
        seen.add(page.evaluate(f"document.activeElement && ({_KEY_JS})(document.activeElement)"))
        page.keyboard.press("Tab")
    return seen


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_control_shown_is_reached_with_tab(site_users, live, browser, viewport):
    """Tab, from the top of the page, goes through every visible control (a control that only
    a pointer reaches fails this); on a phone, those of the pane shown. A control taken out of
    the tab order on purpose (tabindex=-1, like a message's avatar, whose profile the head
    opens too) is left out."""
    alice = sign_in(browser, live, "alice", viewport=viewport)
    start_chat(alice, "bob")
    send(alice, "hello https://example.com/")
    expect(alice.locator("[data-testid=message-row][data-status=success]")).to_have_count(1)
    alice.fill("[data-testid=message-input]", "a draft")  # so Send is enabled
    panes = ["chat", "list"] if viewport is PHONE else ["both"]
    for pane in panes:
        if pane == "list":
            alice.locator("[data-testid=back-to-list]").click()
        controls = alice.evaluate(_CONTROLS_JS)
        assert len(controls) > 5
        reached = reached_by_tab(alice, ".brand", len(controls) + 5)
        # Checked after the walk: a control drawn again meanwhile has the same key.
        missed = [c for c in alice.evaluate(_CONTROLS_JS) if c not in reached]
        assert not missed, f"{pane}: not reached with Tab: {missed}"


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("one_instance_app")
def test_the_signed_out_screen_is_modal_and_gives_the_focus_back(site_users, live, browser):
    alice = sign_in(browser, live, "alice")
    start_chat(alice, "bob")
    box = alice.locator("[data-testid=message-input]")
    expect(box).to_be_focused()

    second = alice.context.new_page()  # another tab: with one instance allowed, alice is out
    second.goto(f"{live.url}/")
    screen = alice.get_by_role("alertdialog", name="You signed in on another page")
    expect(screen).to_be_visible()
    expect(alice.locator("[data-testid=sign-in-again]")).to_be_focused()
    # The chat behind it is inert: nothing there takes the focus or is read out.
    for testid in ("conversation-list", "message-list", "composer", "peer-input"):
        assert alice.locator(f"[data-testid={testid}]").evaluate("(e) => !!e.closest('[inert]')")
    alice.locator("[data-testid=conversation-title]").focus()
    expect(alice.locator("[data-testid=sign-in-again]")).to_be_focused()

    alice.keyboard.press("Enter")  # sign in again
    expect(screen).to_be_hidden()
    expect(box).to_be_focused()
    assert alice.locator("[data-testid=composer]").evaluate("(e) => !e.closest('[inert]')")
