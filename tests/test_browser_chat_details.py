"""The chat page's details in real headless Chromium (issue 15): dates, links, and an
incoming message that leaves the open conversation alone.

History from three days is stored through the services before Playwright starts its
event loop, then dated in the past; the pages then read it from the server. Each page
runs in Shanghai's time zone, so the test knows which local day each message is on.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from im.models import App, Message
from im.services.messages import check_send_message, service_draft
from im.services.payloads import TEXT
from im.services.site import do_link_site_account
from tests.browser import PASSWORD
from tests.live import LiveServer
from tests.test_browser_messaging import bubbles, conversation, row_of, send, sign_in, start_chat

ZONE = ZoneInfo("Asia/Shanghai")
LINK_TEXT = (
    "Read https://example.com/guide_(v2)). then [微笑] http://example.com/q?a=1&b=2, "
    "not javascript:alert(1) nor <b>bold</b>"
)
LINK_SHOWN = LINK_TEXT.replace("[微笑]", "😊")
WEEKDAYS_ZH = "一二三四五六日"

# What the page shows of dates and links is the same on every configuration.
pytestmark = pytest.mark.once


class History:
    """When the stored messages were sent, in the pages' time zone."""

    def __init__(self) -> None:
        now = timezone.now().astimezone(ZONE)
        # A minute ago, unless that was yesterday (just after midnight).
        self.today = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=1))
        self.yesterday = now - timedelta(days=1)  # Shanghai has no daylight saving
        self.earlier = now - timedelta(days=3)
        self.now = now


def store(sender, to: str, text: str, at: datetime) -> None:
    message = check_send_message(
        sender=sender, to=to, conversation_type="C2C", draft=service_draft(TEXT, {"text": text})
    )
    Message.objects.filter(pk=message.pk).update(created_at=at)


@pytest.fixture
def history(site_app: App, transactional_db) -> History:
    """alice's history: with carol over three days, bob yesterday, dave three days ago."""
    site_app.send_rate = 0
    site_app.save(update_fields=["send_rate"])
    people = {name: account(site_app, name) for name in ("alice", "bob", "carol", "dave")}
    when = History()
    store(people["carol"], "alice", "three days ago", when.earlier)
    store(people["alice"], "carol", "yesterday's reply", when.yesterday)
    store(people["carol"], "alice", "today's news", when.today)
    store(people["carol"], "alice", LINK_TEXT, when.today)
    store(people["bob"], "alice", "bob yesterday", when.yesterday)
    store(people["dave"], "alice", "dave long ago", when.earlier)
    return when


def account(app: App, name: str):
    return do_link_site_account(app=app, user=User.objects.create_user(name, password=PASSWORD))


def reader(browser: Browser, live: LiveServer, username: str, locale: str) -> Page:
    return sign_in(browser, live, username, locale=locale, timezone_id="Asia/Shanghai")


def long_date(day: datetime, now: datetime, chinese: bool) -> str:
    """Intl's weekday, month and day (the year when it is not this one)."""
    if chinese:
        text = f"{day.month}月{day.day}日星期{WEEKDAYS_ZH[day.weekday()]}"
        return text if day.year == now.year else f"{day.year}年{text}"
    text = f"{day:%A}, {day:%B} {day.day}"
    return text if day.year == now.year else f"{text}, {day.year}"


def time_pattern(at: datetime, chinese: bool) -> str:
    """The time of day as the page says it: 19:42, or 07:42 PM."""
    return f"{at:%H:%M}" if chinese else rf"{at:%I:%M}\s{at:%p}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("locale", "today", "yesterday"), [("en-US", "Today", "Yesterday"), ("zh-CN", "今天", "昨天")]
)
def test_messages_are_grouped_by_day_with_the_full_date_on_hover(
    history, live, browser, locale, today, yesterday
):
    chinese = locale == "zh-CN"
    alice = reader(browser, live, "alice", locale)
    conversation(alice, "C2Ccarol").click()

    expect(bubbles(alice)).to_have_count(4)
    separators = alice.locator("[data-testid=day-separator]")
    expect(separators).to_have_text(
        [long_date(history.earlier, history.now, chinese), yesterday, today]
    )
    # Each separator comes right before its day's first message.
    first_of_day = alice.locator("[data-testid=day-separator] + [data-testid=message-row]")
    expect(first_of_day.locator("[data-testid=message]")).to_have_text(
        ["three days ago", "yesterday's reply", "today's news"]
    )
    expect(separators.first.locator("time")).to_have_attribute(
        "datetime", history.earlier.astimezone(ZONE).date().isoformat()
    )

    # The meta line shows the time; hovering it shows the full date and time.
    old = row_of(alice, "three days ago").locator(".meta time")
    expect(old).to_have_text(re.compile(rf"^{time_pattern(history.earlier, chinese)}$"))
    full = (
        rf"^{history.earlier.year}年{long_date(history.earlier, history.earlier, True)} "
        rf"{history.earlier:%H:%M}$"
        if chinese
        else rf"^{long_date(history.earlier, history.earlier, False)}, {history.earlier.year} "
        rf"at {history.earlier:%-I:%M}\s{history.earlier:%p}$"
    )
    expect(old).to_have_attribute("title", re.compile(full))
    stamp = datetime.fromisoformat(old.get_attribute("datetime"))
    assert abs(stamp - history.earlier) < timedelta(seconds=1)

    # A message sent now goes under "Today" without a new separator.
    send(alice, "and now")
    expect(row_of(alice, "and now")).to_have_attribute("data-status", "success")
    expect(separators).to_have_count(3)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("locale", "yesterday"), [("en-US", "Yesterday"), ("zh-CN", "昨天")])
def test_the_list_shows_each_conversations_last_message_time(
    history, live, browser, locale, yesterday
):
    chinese = locale == "zh-CN"
    alice = reader(browser, live, "alice", locale)

    def last_time(peer: str):
        return conversation(alice, f"C2C{peer}").locator("[data-testid=last-time]")

    today = time_pattern(history.today, chinese)
    expect(last_time("carol")).to_have_text(re.compile(rf"^{today}$"))
    expect(last_time("bob")).to_have_text(yesterday)
    expect(last_time("dave")).to_have_text(f"{history.earlier.month}/{history.earlier.day}")
    expect(last_time("dave")).to_have_attribute("title", re.compile(str(history.earlier.year)))
    # The badge stays beside it.
    expect(conversation(alice, "C2Cdave").locator("[data-testid=unread]")).to_have_text("1")

    # A message arriving moves its conversation's time to now.
    bob = reader(browser, live, "bob", "en-US")
    start_chat(bob, "alice")
    send(bob, "new today")
    now = timezone.now().astimezone(ZONE)
    minutes = (time_pattern(at, chinese) for at in (now, now - timedelta(minutes=1)))
    expect(last_time("bob")).to_have_text(re.compile(rf"^({'|'.join(minutes)})$"))


@pytest.mark.django_db(transaction=True)
def test_an_incoming_message_leaves_the_open_conversation_alone(history, live, browser):
    alice = reader(browser, live, "alice", "en-US")
    conversation(alice, "C2Ccarol").click()
    title = alice.locator("[data-testid=conversation-title]")
    expect(title).to_have_text("carol")
    expect(bubbles(alice)).to_have_count(4)
    bob_unread = conversation(alice, "C2Cbob").locator("[data-testid=unread]")
    expect(bob_unread).to_have_text("1")
    total = alice.locator("[data-testid=total-unread]")
    expect(total).to_have_text("2")  # bob's and dave's: opening carol's read it

    bob = reader(browser, live, "bob", "en-US")
    start_chat(bob, "alice")
    send(bob, "look at this")
    send(bob, "and this")

    # The list and the badges change; the open conversation does not.
    expect(conversation(alice, "C2Cbob").locator(".preview")).to_have_text("and this")
    expect(bob_unread).to_have_text("3")
    expect(total).to_have_text("4")
    expect(title).to_have_text("carol")
    expect(conversation(alice, "C2Ccarol")).to_have_attribute("aria-current", "true")
    expect(bubbles(alice).last).to_have_text(LINK_SHOWN)
    expect(alice.get_by_text("look at this")).to_have_count(0)

    # Opening it is the reader's choice, and reads it.
    conversation(alice, "C2Cbob").click()
    expect(bubbles(alice)).to_have_text(["bob yesterday", "look at this", "and this"])
    expect(bob_unread).to_have_count(0)
    expect(total).to_have_text("1")


@pytest.mark.django_db(transaction=True)
def test_links_in_messages_open_safely_in_a_new_tab(history, live, browser):
    alice = reader(browser, live, "alice", "en-US")
    alice.context.route(
        "https://example.com/**",
        lambda route: route.fulfill(content_type="text/html", body="<title>guide</title>"),
    )
    conversation(alice, "C2Ccarol").click()

    bubble = row_of(alice, "Read https://").locator("[data-testid=message]")
    # The bubble's text is the message, unchanged; only its http(s) URLs are links.
    expect(bubble).to_have_text(LINK_SHOWN)
    links = bubble.locator("a")
    expect(links).to_have_text(["https://example.com/guide_(v2)", "http://example.com/q?a=1&b=2"])
    expect(links.first).to_have_attribute("href", "https://example.com/guide_(v2)")
    expect(links.nth(1)).to_have_attribute("href", "http://example.com/q?a=1&b=2")
    for index in range(2):
        expect(links.nth(index)).to_have_attribute("target", "_blank")
        expect(links.nth(index)).to_have_attribute("rel", "noopener noreferrer")
    # The emoji token still shows as an emoji; markup in the text stays text.
    expect(bubble.locator(".emoji")).to_have_attribute("data-token", "[微笑]")
    expect(bubble.locator("b")).to_have_count(0)

    # A link sent live is a link too.
    send(alice, "see https://example.com/live.")
    expect(row_of(alice, "see https://").locator("a")).to_have_text("https://example.com/live")

    # It opens in a new tab that cannot reach back to the chat page.
    with alice.context.expect_page() as opened:
        links.first.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == "https://example.com/guide_(v2)"
    assert tab.evaluate("window.opener") is None
    assert tab.evaluate("document.referrer") == ""


@pytest.mark.django_db(transaction=True)
def test_a_page_that_had_a_conversation_open_is_not_switched_by_a_message(history, live, browser):
    alice = reader(browser, live, "alice", "en-US")
    # A chat with nobody closes again: the page says why, and has nothing open.
    alice.fill("[data-testid=peer-input]", "ghost")
    alice.click("[data-testid=start-chat]")
    status = alice.locator("[data-testid=status]")
    expect(status).to_have_text("There is no user with that ID.")
    title = alice.locator("[data-testid=conversation-title]")
    expect(title).to_have_text("No conversation open")

    bob = reader(browser, live, "bob", "en-US")
    start_chat(bob, "alice")
    send(bob, "are you there?")

    # Only the list and the badges change: what alice was reading stays.
    expect(conversation(alice, "C2Cbob").locator(".preview")).to_have_text("are you there?")
    expect(conversation(alice, "C2Cbob").locator("[data-testid=unread]")).to_have_text("2")
    expect(title).to_have_text("No conversation open")
    expect(status).to_have_text("There is no user with that ID.")
    expect(bubbles(alice)).to_have_count(0)
