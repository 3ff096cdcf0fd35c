"""The pages against axe-core, in real headless Chromium (issue 15): no serious or critical
violation on the sign-in page, the chat (a conversation open, its panels and dialogs, on a
desktop and on a phone) and the admin; the chat's message list and dialogs say what they are,
and the keyboard's focus goes where the eye does.

A new part of the chat page gets checked by adding a step to CHAT_STATES (it gets the page with
alice and bob's conversation open) or by calling tests.axe.assert_accessible in its own test.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.axe import assert_accessible, axe_violations
from tests.test_browser_admin import admin_signed_in
from tests.test_browser_find_people import signup_live
from tests.test_browser_groups import create_group, open_panel
from tests.test_browser_messaging import (
    conversation,
    reload,
    send,
    sign_in,
    site_users,
    start_chat,
)

__all__ = ["signup_live", "site_users"]  # the fixtures, for the tests below

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


# --- the account pages ---


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_account_pages_have_no_serious_violations(
    site_users, signup_live, browser, viewport, language
):
    """The password change (and its form's errors), the reset form, "reset sent" and the
    sign-up page (open on this server: HUTONG_SIGNUP)."""
    live = signup_live
    prepare = _chinese(live) if language == "zh" else None
    context = browser.new_context(locale="en-US", viewport=viewport)
    if prepare:
        prepare(context)
    page = context.new_page()
    page.goto(f"{live.url}/accounts/password/reset/")
    expect(page.locator("input[name=email]")).to_be_visible()
    assert_accessible(page)
    page.fill("input[name=email]", "alice@example.com")
    page.click("[data-testid=account-submit]")
    page.wait_for_url("**/accounts/password/reset/sent/")
    assert_accessible(page)
    page.goto(f"{live.url}/accounts/signup/")
    expect(page.locator("input[name=password2]")).to_be_visible()
    assert_accessible(page)
    page.fill("input[name=username]", "mei")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    page.click("[data-testid=account-submit]")
    expect(page.locator("[data-testid=field-error]").first).to_be_visible()
    assert_accessible(page)
    context.close()

    alice = sign_in(browser, live, "alice", viewport=viewport, prepare=prepare)
    alice.goto(f"{live.url}/accounts/password/change/")
    expect(alice.locator("input[name=old_password]")).to_be_visible()
    assert_accessible(alice)
    alice.fill("input[name=old_password]", "not the password")
    alice.click("[data-testid=account-submit]")
    expect(alice.locator("[data-testid=field-error]").first).to_be_visible()
    assert_accessible(alice)


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


def _message_menu(page: Page) -> None:
    page.locator("[data-testid=message]").filter(has_text="hi alice").click(button="right")
    expect(page.locator("[data-testid=message-menu]")).to_be_visible()


def _message_action(page: Page, action: str) -> None:
    _message_menu(page)
    page.click(f"[data-testid=message-menu] [data-testid=action-{action}]")
    expect(page.locator("[data-testid=message-menu]")).to_have_count(0)


def _reply_bar(page: Page) -> None:
    _message_action(page, "reply")
    expect(page.locator("[data-testid=reply-bar]")).to_be_visible()


def _forward_dialog(page: Page) -> None:
    _message_action(page, "forward")
    expect(page.locator("[data-testid=forward-target]")).to_have_count(1)


def _conversation_menu(page: Page) -> None:
    _to_list(page)
    row = page.locator('li[data-conversation-id="C2Cbob"]')
    row.locator("[data-testid=conversation-menu-toggle]").click()
    expect(page.locator("[data-testid=conversation-menu]")).to_be_visible()


def _conversation_search(page: Page) -> None:
    _to_list(page)
    page.fill("[data-testid=conversation-search]", "bo")
    expect(page.locator("[data-testid=conversation]")).to_have_count(1)


def _conversation_search_no_match(page: Page) -> None:
    _to_list(page)
    page.fill("[data-testid=conversation-search]", "zzz")
    expect(page.locator("[data-testid=no-matches]")).to_be_visible()


def _mention_picker(page: Page) -> None:
    _to_list(page)
    create_group(page, "Hikers", type_="Private", members="bob")
    page.locator("[data-testid=message-input]").press_sequentially("hi @")
    expect(page.locator("[data-testid=mention-option]")).to_have_count(2)


def _find_people(page: Page) -> None:
    _to_list(page)
    page.click("[data-testid=find-people-open]")
    page.fill("[data-testid=people-search]", "bo")
    expect(page.locator("[data-testid=people-list] [data-testid=person]")).to_have_count(1)


def _notification_settings(page: Page) -> None:
    _to_list(page)
    page.locator("[data-testid=notify-settings]").scroll_into_view_if_needed()
    expect(page.locator("[data-testid=notify-sound]")).to_be_visible()


CHAT_STATES: dict[str, Callable[[Page], None]] = {
    "conversation": _conversation,
    "conversation list": _to_list,
    "new group form": _new_group_form,
    "group panel": _group_panel,
    "profile dialog": _profile_dialog,
    "settings dialog": _settings_dialog,
    "emoji picker": _emoji_picker,
    "message menu": _message_menu,
    "reply bar": _reply_bar,
    "forward dialog": _forward_dialog,
    "conversation menu": _conversation_menu,
    "conversation search": _conversation_search,
    "conversation search, no match": _conversation_search_no_match,
    "mention picker": _mention_picker,
    "new chat search": _find_people,
    "notification settings": _notification_settings,
}


def alice_and_bob(browser, live, viewport: dict, first: str, prepare=None) -> Page:
    """alice's page (at ``viewport``; ``prepare`` as for sign_in) with her conversation with
    bob open: ``first`` from her, then "hi alice" from bob."""
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice", viewport=viewport, prepare=prepare)
    start_chat(alice, "bob")
    send(alice, first)
    start_chat(bob, "alice")
    send(bob, "hi alice")
    expect(alice.locator("[data-testid=message]")).to_have_count(2)
    return alice


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("state", list(CHAT_STATES))
def test_the_chat_page_has_no_serious_violations(site_users, live, browser, viewport, state):
    alice = alice_and_bob(browser, live, viewport, "hello bob, see https://example.com/a")
    CHAT_STATES[state](alice)
    assert_accessible(alice)


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_the_chat_page_in_chinese_has_no_serious_violations(site_users, live, browser):
    alice = sign_in(browser, live, "alice", prepare=_chinese(live))
    start_chat(alice, "bob")
    send(alice, "你好")
    assert_accessible(alice)


# The new parts whose labels are text of their own, in Chinese.
CHINESE_STATES = [
    "message menu",
    "reply bar",
    "forward dialog",
    "conversation menu",
    "conversation search, no match",
    "mention picker",
    "new chat search",
    "notification settings",
]


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", CHINESE_STATES)
def test_the_new_parts_in_chinese_have_no_serious_violations(site_users, live, browser, state):
    alice = alice_and_bob(browser, live, DESKTOP, "你好", prepare=_chinese(live))
    expect(alice.locator("[data-testid=message-input]")).to_have_attribute(
        "placeholder", "输入消息"
    )
    CHAT_STATES[state](alice)
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
    # The row gains its menu once the SDK lists the conversation, which may come after the
    # send's acknowledgement: a walk before it would miss a control drawn after it.
    expect(
        alice.locator("[data-conversation-id=C2Cbob] [data-testid=conversation-menu-toggle]")
    ).to_have_count(1)
    alice.fill("[data-testid=message-input]", "a draft")  # so Send is enabled
    panes = ["chat", "list"] if viewport is PHONE else ["both"]
    for pane in panes:
        if pane == "list":
            alice.locator("[data-testid=back-to-list]").click()
        controls = alice.evaluate(_CONTROLS_JS)
        assert len(controls) > 5
        # Twice as many presses as controls: a redraw of the list or the messages while
        # the walk goes on (a busy machine) may set it back a few steps.
        reached = reached_by_tab(alice, ".brand", 2 * len(controls) + 5)
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


def tab_to(page: Page, target, *, backwards: bool = False, limit: int = 40) -> None:
    """Tab (or Shift+Tab) from where the focus is until ``target`` has it."""
    for _ in range(limit):
        if target.evaluate("(t) => t === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"not reached with {'Shift+' if backwards else ''}Tab: {target}")


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_emoji_then_a_reply_by_keyboard_alone(site_users, live, browser, viewport):
    """From the composer, with the keyboard only: the emoji picker opens, a face goes in, the
    last message's menu opens and Reply quotes it; the focus comes back after each close."""
    alice = alice_and_bob(browser, live, viewport, "hello bob")
    box = alice.locator("[data-testid=message-input]")
    box.focus()
    box.press_sequentially("ok ")

    # The emoji picker: reached backwards from the composer, opened with Enter.
    emoji = alice.locator("[data-testid=emoji-button]")
    tab_to(alice, emoji, backwards=True)
    alice.keyboard.press("Enter")
    picker = alice.locator("[data-testid=emoji-picker]")
    expect(picker).to_be_visible()
    expect(emoji).to_have_attribute("aria-expanded", "true")
    assert picker.evaluate("(p) => p.contains(document.activeElement)")
    alice.keyboard.press("Escape")  # closed: back where it was opened from
    expect(picker).to_be_hidden()
    expect(emoji).to_have_attribute("aria-expanded", "false")
    expect(box).to_be_focused()
    tab_to(alice, emoji, backwards=True)
    alice.keyboard.press("Enter")
    alice.keyboard.press("ArrowRight")
    face = alice.evaluate("document.activeElement.getAttribute('aria-label')")
    alice.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    expect(box).to_be_focused()  # picked: back to the composer, to write on
    assert face and box.input_value().startswith("ok ")
    assert len(box.input_value()) > len("ok ")

    # The last message's menu: Shift+Tab from the composer reaches it.
    last = alice.locator("[data-testid=message]").filter(has_text="hi alice")
    tab_to(alice, last, backwards=True)
    alice.keyboard.press("ContextMenu")
    menu = alice.get_by_role("menu", name="Message actions")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Copy")).to_be_focused()
    alice.keyboard.press("Escape")  # closed: back to the message
    expect(menu).to_have_count(0)
    expect(last).to_be_focused()
    # The same menu from its "⋯" button (Tab from the message), which says it is open.
    more = alice.locator("[data-testid=message-row]").filter(has_text="hi alice")
    more = more.locator("[data-testid=message-more]")
    alice.keyboard.press("Tab")
    expect(more).to_be_focused()
    expect(more).to_have_attribute("aria-expanded", "false")
    alice.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(more).to_have_attribute("aria-controls", menu.get_attribute("id"))
    alice.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Reply")).to_be_focused()
    alice.keyboard.press("Enter")
    expect(menu).to_have_count(0)
    expect(more).to_have_attribute("aria-expanded", "false")
    bar = alice.locator("[data-testid=reply-bar]")
    expect(bar).to_contain_text("hi alice")
    expect(box).to_be_focused()  # to write the reply
    # ... and a screen reader there hears what it answers.
    assert box.get_attribute("aria-describedby").split() == ["message-size", "reply-text"]
    expect(box).to_have_accessible_description(re.compile("hi alice"))

    # The quote bar's cancel is reached by keyboard too, and gives the composer the focus back.
    cancel = alice.locator("[data-testid=reply-cancel]")
    tab_to(alice, cancel, backwards=True)
    alice.keyboard.press("Enter")
    expect(bar).to_be_hidden()
    expect(box).to_be_focused()
    assert box.get_attribute("aria-describedby") == "message-size"
    assert box.input_value().startswith("ok ")  # the draft is kept


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_forward_row_menu_and_new_chat_give_the_focus_back(site_users, live, browser, viewport):
    """The forward dialog, a conversation's menu and the New chat dialog, by keyboard: each
    says what it opens, takes the focus and gives it back to its opener on Escape."""
    alice = alice_and_bob(browser, live, viewport, "hello bob")

    # Forward, from the last message's menu: a modal dialog with its filter focused.
    last = alice.locator("[data-testid=message]").filter(has_text="hi alice")
    last.focus()
    alice.keyboard.press("ContextMenu")
    alice.get_by_role("menuitem", name="Forward").focus()
    alice.keyboard.press("Enter")
    dialog = alice.get_by_role("dialog", name="Forward to")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("(d) => d.matches(':modal')")
    expect(alice.locator("[data-testid=forward-filter]")).to_be_focused()
    # The dialog offers the list as the SDK has it, and follows it as it arrives.
    expect(alice.locator("[data-testid=forward-target]").first).to_be_attached()
    alice.keyboard.press("Tab")  # the targets are reached by Tab
    expect(alice.locator("[data-testid=forward-target]").first).to_be_focused()
    alice.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(last).to_be_focused()

    # A conversation's menu: its toggle names the menu it opens.
    _to_list(alice)
    row = alice.locator('li[data-conversation-id="C2Cbob"]')
    toggle = row.locator("[data-testid=conversation-menu-toggle]")
    toggle.focus()
    alice.keyboard.press("Enter")
    menu = alice.get_by_role("menu", name="Actions for bob")
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_attribute("aria-controls", menu.get_attribute("id"))
    assert menu.evaluate("(m) => m.contains(document.activeElement)")
    alice.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()

    # New chat: the dialog takes the focus; Escape gives it back to the button.
    opener = alice.locator("[data-testid=find-people-open]")
    opener.focus()
    alice.keyboard.press("Enter")
    people = alice.get_by_role("dialog", name="New chat")
    expect(people).to_be_visible()
    expect(alice.locator("[data-testid=people-search]")).to_be_focused()
    alice.keyboard.press("Escape")
    expect(people).to_be_hidden()
    expect(opener).to_be_focused()
