"""Read ticks and "typing…" in C2C, in real headless Chromium (issue 15): alice's message
shows "Sent" until bob reads it, then "Read", live; while bob types, alice's head says so,
and it goes when he stops, falls silent or sends. Typing never becomes a bubble or a
count."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser import PASSWORD
from tests.test_browser_composer import signed_in
from tests.test_browser_messaging import bubbles, conversation, row_of, send, sign_in, start_chat

# The page's behaviour; the server's side of it is tested over the WebSocket in both
# passes (tests/test_ws_*), so the browser tests run in the first pass only.
pytestmark = pytest.mark.once

TEXT = {
    "en": {"sent": "Sent", "read": "Read", "typing": "typing…"},
    "zh": {"sent": "已发送", "read": "已读", "typing": "对方正在输入…"},
}
LANGUAGES = ["en", pytest.param("zh", marks=pytest.mark.once)]


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    names = ("alice", "bob", "carol")
    return {name: User.objects.create_user(name, password=PASSWORD) for name in names}


def tick_of(page: Page, text: str):
    return row_of(page, text).locator("[data-testid=read-tick]")


def typing(page: Page):
    return page.locator("[data-testid=typing]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_bob_reading_turns_alices_tick_to_read_live(site_users, live, browser, language):
    words = TEXT[language]
    sign_in(browser, live, "carol").context.close()  # carol's account exists
    bob = signed_in(browser, live, "bob", language)
    start_chat(bob, "carol")  # bob looks elsewhere: alice's message is not read yet
    alice = signed_in(browser, live, "alice", language)
    start_chat(alice, "bob")
    send(alice, "hello bob")

    tick = tick_of(alice, "hello bob")
    expect(tick).to_have_attribute("data-read", "false")
    expect(tick).to_have_attribute("aria-label", words["sent"])
    expect(tick).to_have_attribute("title", words["sent"])
    expect(conversation(bob, "C2Calice").locator("[data-testid=unread]")).to_have_text("1")

    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text(["hello bob"])
    expect(tick).to_have_attribute("data-read", "true")
    expect(tick).to_have_attribute("aria-label", words["read"])
    # Incoming messages carry no tick.
    expect(tick_of(bob, "hello bob")).to_have_count(0)

    # After a reload the tick comes from history, still read; a new one is only sent.
    alice.reload()
    expect(alice.locator("[data-testid=chat]")).to_have_attribute("data-state", "ready")
    conversation(alice, "C2Cbob").click()
    expect(tick_of(alice, "hello bob")).to_have_attribute("data-read", "true")
    # Bob still has the chat open: the next message is read as it arrives.
    send(alice, "second")
    expect(tick_of(alice, "second")).to_have_attribute("data-read", "true")


@pytest.mark.parametrize("language", LANGUAGES)
def test_bob_typing_shows_on_alices_head_and_goes(site_users, live, browser, language):
    words = TEXT[language]
    alice = signed_in(browser, live, "alice", language)
    bob = signed_in(browser, live, "bob", language)
    start_chat(alice, "bob")
    send(alice, "hi")
    expect(bubbles(bob)).to_have_text(["hi"])  # the first message opened it
    expect(typing(alice)).to_be_hidden()

    bob.fill("[data-testid=message-input]", "hel")
    expect(typing(alice)).to_be_visible()
    expect(typing(alice)).to_have_text(words["typing"])
    # Clearing the text says "stopped" at once.
    bob.fill("[data-testid=message-input]", "")
    expect(typing(alice)).to_be_hidden()

    # Silent for a while: it goes by itself (about 5 s after the last news).
    bob.fill("[data-testid=message-input]", "still")
    expect(typing(alice)).to_be_visible()
    expect(typing(alice)).to_be_hidden(timeout=9_000)

    # Typing then sending: the message arrives and "typing…" goes.
    bob.fill("[data-testid=message-input]", "typed")
    expect(typing(alice)).to_be_visible()
    send(bob, "typed and sent")
    expect(bubbles(alice)).to_have_text(["hi", "typed and sent"])
    expect(typing(alice)).to_be_hidden()
    # No typing indicator ever became a bubble, a count or a last message.
    expect(bubbles(bob)).to_have_text(["hi", "typed and sent"])
    preview = conversation(alice, "C2Cbob").locator(".preview")
    expect(preview).to_contain_text("typed and sent")
    expect(conversation(alice, "C2Cbob").locator("[data-testid=unread]")).to_have_count(0)
