"""Finding people and the account pages in headless Chromium: "New chat" searches the
site's users by part of their nick or userID, by keyboard or pointer, a page at a time;
"Forgot your password?" and "Change password" lead to their pages; the sign-up page,
when open, signs a new user in. English and Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from tests.browser import PASSWORD, TIMEOUT_MS
from tests.live import LiveServer
from tests.test_browser_messaging import bubbles, send, sign_in

# The page's behaviour; the server's side of it is tested over the WebSocket in both
# passes (tests/test_ws_*), so the browser tests run in the first pass only.
pytestmark = pytest.mark.once

LANGUAGES = [
    pytest.param("en-US", id="en"),
    pytest.param("zh-CN", id="zh"),
]
TEXT = {
    "en-US": {
        "new_chat": "New chat",
        "nobody": "Nobody matches “zzz”.",
        "forgot": "Forgot your password?",
        "reset": "Reset your password",
        "sent": "Check your email",
        "change": "Change password",
    },
    "zh-CN": {
        "new_chat": "发起聊天",
        "nobody": "没有与“zzz”匹配的用户。",
        "forgot": "忘记密码？",
        "reset": "重置密码",
        "sent": "请查收邮件",
        "change": "修改密码",
    },
}


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    def make(username: str, first: str, last: str) -> User:
        return User.objects.create_user(
            username,
            email=f"{username}@example.com",
            password=PASSWORD,
            first_name=first,
            last_name=last,
        )

    return {
        "alice": make("alice", "Alice", "Liddell"),
        "bob": make("bob", "Bobby", "Tables"),
        "carol": make("carol", "Carol", "Ng"),
    }


@pytest.fixture
def members(transactional_db) -> None:
    """22 more users (made before Playwright runs its event loop, which the ORM avoids)."""
    for n in range(22):
        User.objects.create_user(f"member{n:02d}", password=PASSWORD)


def search(page: Page, text: str) -> None:
    page.fill("[data-testid=people-search]", text)


def people(page: Page):
    return page.locator("[data-testid=people-list] [data-testid=person]")


@pytest.mark.parametrize("locale", LANGUAGES)
def test_alice_finds_bob_by_part_of_his_nick_and_chats(
    site_users, live: LiveServer, browser: Browser, locale
):
    alice = sign_in(browser, live, "alice", locale=locale)
    bob = sign_in(browser, live, "bob", locale=locale)

    opener = alice.locator("[data-testid=find-people-open]")
    expect(opener).to_have_text(TEXT[locale]["new_chat"])
    opener.click()
    dialog = alice.locator("[data-testid=find-people]")
    expect(dialog).to_be_visible()
    expect(alice.locator("[data-testid=people-search]")).to_be_focused()
    search(alice, "tABle")

    expect(people(alice)).to_have_count(1)
    found = people(alice).first
    expect(found.locator("[data-testid=person-nick]")).to_have_text("Bobby Tables")
    expect(found.locator("[data-testid=person-id]")).to_have_text("bob")
    expect(found.locator("[data-testid=avatar]")).to_have_attribute("data-initials", "BT")
    alice.keyboard.press("ArrowDown")
    expect(found).to_have_attribute("aria-selected", "true")
    expect(alice.locator("[data-testid=people-search]")).to_have_attribute(
        "aria-activedescendant", found.get_attribute("id")
    )
    alice.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(alice.locator("[data-testid=conversation-title]")).to_have_text("Bobby Tables")
    send(alice, "found you")
    expect(bubbles(bob).filter(has_text="found you")).to_have_count(1)


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_search_pages_with_load_more_and_says_when_nobody_matches(
    site_users, members, live: LiveServer, browser: Browser, locale
):
    alice = sign_in(browser, live, "alice", locale=locale)
    alice.click("[data-testid=find-people-open]")

    search(alice, "member")
    more = alice.locator("[data-testid=people-more]")
    expect(people(alice)).to_have_count(20)
    expect(more).to_be_visible()
    more.click()
    expect(people(alice)).to_have_count(22)
    expect(more).to_be_hidden()
    # The keyboard carries on from the first person the page added.
    expect(people(alice).nth(20)).to_have_attribute("aria-selected", "true")
    expect(alice.locator("[data-testid=people-search]")).to_be_focused()

    search(alice, "zzz")
    expect(alice.locator("[data-testid=no-people]")).to_have_text(TEXT[locale]["nobody"])
    expect(people(alice)).to_have_count(0)

    # A click picks too.
    search(alice, "carol")
    people(alice).filter(has_text="Carol Ng").click()
    expect(alice.locator("[data-testid=conversation-title]")).to_have_text("Carol Ng")


@pytest.mark.once  # the page alone: the same on every configuration
def test_the_search_fits_a_phone(site_users, members, live: LiveServer, browser: Browser):
    alice = sign_in(browser, live, "alice", viewport={"width": 390, "height": 844})
    alice.click("[data-testid=find-people-open]")
    search(alice, "member")
    expect(people(alice)).to_have_count(20)

    box = alice.locator("[data-testid=find-people]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844
    more = alice.locator("[data-testid=people-more]")
    more.scroll_into_view_if_needed()
    expect(more).to_be_in_viewport()
    expect(alice.locator("[data-testid=people-search]")).to_be_in_viewport()
    name = people(alice).first.locator("[data-testid=person-nick]").bounding_box()
    assert name["x"] + name["width"] <= box["x"] + box["width"]


@pytest.mark.once  # the page alone: the same on every configuration
@pytest.mark.parametrize("locale", LANGUAGES)
def test_forgot_password_leads_to_the_reset_and_the_chat_to_the_change(
    site_users, live: LiveServer, browser: Browser, locale
):
    text = TEXT[locale]
    context = browser.new_context(locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live.url}/accounts/login/")

    page.get_by_role("link", name=text["forgot"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["reset"])
    page.fill("input[name=email]", "alice@example.com")
    page.click("[data-testid=account-submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["sent"])
    context.close()

    alice = sign_in(browser, live, "alice", locale=locale)
    alice.click("[data-testid=settings-open]")
    alice.get_by_role("link", name=text["change"]).click()
    expect(alice.get_by_role("heading", level=1)).to_have_text(text["change"])
    expect(alice.locator("input[name=old_password]")).to_be_visible()


@pytest.fixture
def signup_live(transactional_db) -> Iterator[LiveServer]:
    """A server with the sign-up page open (HUTONG_SIGNUP)."""
    server = LiveServer(env={"HUTONG_SIGNUP": "true"}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_someone_signs_up_and_lands_in_the_chat_findable_by_others(
    site_users, signup_live: LiveServer, browser: Browser, locale
):
    context = browser.new_context(locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{signup_live.url}/accounts/login/")
    page.click("[data-testid=signup-link]")
    page.fill("input[name=username]", "mei")
    page.fill("input[name=email]", "mei@example.com")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    page.click("[data-testid=account-submit]")
    expect(page.locator("[data-testid=field-error]")).to_have_count(1)  # too short

    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("[data-testid=account-submit]")
    page.wait_for_url(f"{signup_live.url}/")
    expect(page.locator("[data-testid=chat]")).to_have_attribute("data-state", "ready")

    alice = sign_in(browser, signup_live, "alice", locale=locale)
    alice.click("[data-testid=find-people-open]")
    search(alice, "me")
    expect(people(alice).locator("[data-testid=person-id]")).to_have_text(["mei"])
