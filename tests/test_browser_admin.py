"""The operators' admin in real headless Chromium, beside a member's open chat page:
what the operator does in /admin/ reaches the page live, as a member's action would.

As in the other browser tests, the ORM work happens before Playwright starts its
event loop; the group is made through the services, as the chat page's would be.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from im.models import App
from im.services.groups import check_create_group
from im.services.site import do_link_site_account
from tests.browser import PASSWORD, TIMEOUT_MS
from tests.live import LiveServer
from tests.test_browser_groups import tips
from tests.test_browser_messaging import conversation, send, sign_in


@pytest.fixture
def tea_room(site_app: App, transactional_db) -> str:
    """A Public group alice owns and bob is in; its conversationID."""
    alice, _bob = (
        do_link_site_account(app=site_app, user=User.objects.create_user(name, password=PASSWORD))
        for name in ("alice", "bob")
    )
    check_create_group(
        owner=alice,
        name="Tea room",
        group_type="Public",
        group_id="tea",
        members=[("bob", "Member")],
    )
    return "GROUPtea"


def admin_signed_in(browser: Browser, live: LiveServer) -> Page:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live.url}/admin/")
    page.fill("input[name=username]", "appadmin")
    page.fill("input[name=password]", "pw-admin-1")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    return page


def test_an_operator_mutes_bob_and_his_open_page_is_told(tea_room, app_admin, live, browser):
    bob = sign_in(browser, live, "bob")
    conversation(bob, tea_room).click()
    expect(bob.locator("[data-testid=conversation-title]")).to_have_text("Tea room")

    operator = admin_signed_in(browser, live)
    operator.get_by_role("link", name="Chat groups").first.click()
    operator.get_by_role("link", name="tea", exact=True).click()
    bob_row = operator.locator("tr", has_text="bob")
    bob_row.locator("[data-testid=member-mute]").click()
    expect(operator.locator("input[name=user_id]")).to_have_value("bob")
    operator.select_option("select[name=mute_time]", "600")
    operator.click("[data-testid=operation-submit]")
    expect(operator.locator(".messagelist .success")).to_have_text("Muted bob for 10 minutes")
    expect(
        operator.locator("tr", has_text="bob").locator(".field-member_mute_until")
    ).not_to_have_text("-")

    expect(tips(bob)).to_have_text(["administrator muted bob for 10 minutes"])
    send(bob, "can anyone hear me")
    row = bob.locator("[data-testid=message-row]").filter(has_text="can anyone hear me")
    expect(row).to_have_attribute("data-status", "fail")
    expect(bob.locator("[data-testid=status]")).to_have_text("You are muted in this group.")
