"""@mentions on the chat page, in real headless Chromium (issue 15): "@" in a group's
composer opens a member picker (filtered as typed, arrow keys, Enter, Escape, click),
the message goes with its atUserList, and the mentioned member's conversation row says
"[@me]" (or "[@all]") until they open it; only the owner and admins are offered @all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from im.models import Message
from tests.browser import PASSWORD
from tests.test_browser_composer import orm, signed_in
from tests.test_browser_groups import create_group
from tests.test_browser_messaging import bubbles, conversation, reload, start_chat

# The page's behaviour; the server's side of it is tested over the WebSocket in both
# passes (tests/test_ws_*), so the browser tests run in the first pass only.
pytestmark = pytest.mark.once

AT_ALL = "__kImSDK_MesssageAtALL__"
AT_ME = {"en": "[@me]", "zh": "[有人@我]"}
AT_EVERYONE = {"en": "[@all]", "zh": "[@所有人]"}
ALL = {"en": "all", "zh": "所有人"}


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    return {
        name: User.objects.create_user(name, password=PASSWORD)
        for name in ("alice", "bob", "carol")
    }


def composer(page: Page):
    return page.locator("[data-testid=message-input]")


def picker(page: Page):
    return page.locator("[data-testid=mention-picker]")


def options(page: Page):
    return picker(page).locator("[data-testid=mention-option]")


def flag(page: Page, conversation_id: str):
    return conversation(page, conversation_id).locator("[data-testid=mention-flag]")


def stored_at_user_list(page: Page, text: str) -> list[str]:
    """The atUserList the server stored with ``text``, once ``page`` has its answer."""
    row = page.locator("[data-testid=message-row]").last
    expect(row).to_have_attribute("data-status", "success")
    return orm(lambda: Message.objects.get(payload__text=text).at_user_list)


def tea_group(browser, live, language: str, members: str) -> tuple[Page, Page, str]:
    """alice and bob signed in, bob reading something else, and a group alice made
    with ``members``: alice's page, bob's, and its conversationID."""
    bob = signed_in(browser, live, "bob", language)
    start_chat(bob, "carol")  # reading something else when the group's message comes
    alice = signed_in(browser, live, "alice", language)
    group_id = create_group(alice, "Tea", type_="Private", members=members)
    expect(conversation(bob, group_id)).to_be_visible()
    return alice, bob, group_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_alice_mentions_bob_through_the_picker_and_bob_sees_at_me_until_he_opens_it(
    site_users, live, browser, language
):
    alice, bob, group_id = tea_group(browser, live, language, "bob, carol")

    box = composer(alice)
    box.press_sequentially("hi @")
    expect(picker(alice)).to_be_visible()
    # A textbox (it takes no aria-expanded) that names its list and the option picked.
    expect(box).to_have_attribute("aria-controls", "mention-picker")
    expect(box).to_have_attribute("aria-activedescendant", "mention-option-0")
    assert box.get_attribute("aria-expanded") is None
    # The owner is offered everyone first, then the members but herself.
    expect(options(alice)).to_have_count(3)
    expect(options(alice).first).to_have_text(f"@{ALL[language]}")
    expect(options(alice).first).to_have_attribute("aria-selected", "true")
    box.press_sequentially("b")  # filters as typed
    expect(options(alice)).to_have_count(1)
    expect(options(alice).first).to_have_attribute("data-user-id", "bob")
    box.press("Enter")  # picks; does not send
    expect(picker(alice)).to_be_hidden()
    expect(box).to_have_value("hi @bob ")
    expect(bubbles(alice)).to_have_count(0)
    box.press_sequentially("tea?")
    box.press("Enter")

    expect(bubbles(alice).last.locator("[data-testid=mention]")).to_have_text("@bob")
    assert stored_at_user_list(alice, "hi @bob tea?") == ["bob"]

    # Bob has not opened the group: its row says he was mentioned, after a reload too.
    expect(flag(bob, group_id)).to_have_text(AT_ME[language])
    reload(bob)  # the server's list says the same
    expect(flag(bob, group_id)).to_have_text(AT_ME[language])
    conversation(bob, group_id).click()
    expect(bubbles(bob).last.locator("[data-testid=mention]")).to_have_text("@bob")
    expect(flag(bob, group_id)).to_have_count(0)
    reload(bob)
    expect(conversation(bob, group_id)).to_be_visible()
    expect(flag(bob, group_id)).to_have_count(0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_owner_mentions_everyone_and_a_member_is_not_offered_it(
    site_users, live, browser, language
):
    alice, bob, group_id = tea_group(browser, live, language, "bob")

    box = composer(alice)
    box.press_sequentially("@")
    expect(options(alice)).to_have_count(2)
    box.press("ArrowDown")
    expect(options(alice).nth(1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    expect(options(alice).first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value(f"@{ALL[language]} ")
    box.press_sequentially("meeting")
    box.press("Enter")
    text = f"@{ALL[language]} meeting"
    expect(bubbles(alice).last.locator("[data-testid=mention]")).to_have_text(f"@{ALL[language]}")
    assert stored_at_user_list(alice, text) == [AT_ALL]

    expect(flag(bob, group_id)).to_have_text(AT_EVERYONE[language])
    conversation(bob, group_id).click()
    expect(flag(bob, group_id)).to_have_count(0)

    # Bob, a plain member, is offered alice and not everyone; Escape closes.
    bob_box = composer(bob)
    bob_box.press_sequentially("ok @")
    expect(options(bob)).to_have_count(1)
    expect(options(bob).first).to_have_attribute("data-user-id", "alice")
    bob_box.press("Escape")
    expect(picker(bob)).to_be_hidden()
    expect(bob_box).to_have_value("ok @")
    expect(bob_box).to_be_focused()
    # Typing on opens it again; a click picks.
    bob_box.press_sequentially("a")
    options(bob).first.click()
    expect(bob_box).to_have_value("ok @alice ")
    expect(bob_box).to_be_focused()
    bob.click("[data-testid=send]")
    expect(bubbles(alice).last).to_have_text("ok @alice")
    assert stored_at_user_list(bob, "ok @alice ") == ["alice"]
