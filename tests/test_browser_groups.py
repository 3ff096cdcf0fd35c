"""Groups in real headless Chromium: applying to a group, handling the application,
tips, muting, a member added to a Private group seeing it without reloading, and a
member's remind type (no badge; not received until reload).

As in test_browser_messaging, every user has their own browser context, and every
group is made through the pages themselves.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser import PASSWORD
from tests.test_browser_messaging import conversation, row_of, send, sign_in, start_chat

USERS = ("alice", "bob", "carol")


@pytest.fixture
def site_users(transactional_db) -> dict[str, User]:
    return {name: User.objects.create_user(name, password=PASSWORD) for name in USERS}


def create_group(
    page: Page, name: str, *, type_: str, join_option: str = "", members: str = ""
) -> str:
    """Create a group from the page's form; returns its conversationID."""
    page.click("[data-testid=new-group-toggle]")
    page.fill("[data-testid=group-name]", name)
    page.select_option("[data-testid=group-type]", type_)
    if join_option:
        page.select_option("[data-testid=group-join-option]", join_option)
    if members:
        page.fill("[data-testid=group-members]", members)
    page.click("[data-testid=create-group]")
    expect(page.locator("[data-testid=conversation-title]")).to_have_text(name)
    current = page.locator("[data-testid=conversation][aria-current=true]")
    conversation_id = current.get_attribute("data-conversation-id")
    assert conversation_id.startswith("GROUP@TGS#")
    return conversation_id


def open_panel(page: Page) -> None:
    page.click("[data-testid=group-panel-toggle]")
    expect(page.locator("[data-testid=group-panel]")).to_be_visible()


def member(page: Page, user_id: str):
    return page.locator(f'[data-testid=member][data-user-id="{user_id}"]')


def tips(page: Page):
    return page.locator("[data-testid=group-tip]")


def test_an_application_accepted_then_the_member_muted(site_users, live, browser):
    alice = sign_in(browser, live, "alice")
    carol = sign_in(browser, live, "carol")
    group_conversation = create_group(
        alice, "Open club", type_="Public", join_option="NeedPermission"
    )
    group_id = group_conversation.removeprefix("GROUP")

    # carol finds the group and applies, with a message to the admins.
    carol.fill("[data-testid=find-group-id]", group_id)
    carol.click("[data-testid=find-group-submit]")
    expect(carol.locator("[data-testid=found-group-name]")).to_have_text("Open club")
    carol.fill("[data-testid=apply-message]", "let me in")
    carol.click("[data-testid=join-group]")
    expect(carol.locator("[data-testid=application-sent]")).to_be_visible()
    expect(conversation(carol, group_conversation)).to_have_count(0)

    # alice's Notifications show the application; she accepts it.
    notifications = conversation(alice, "@TIM#SYSTEM")
    expect(notifications.locator(".peer")).to_have_text("Notifications")
    notifications.click()
    application = alice.locator("[data-testid=group-notice][data-operation-type='1']")
    expect(application.locator(".notice-text")).to_have_text("carol asks to join Open club")
    expect(application.locator("[data-testid=notice-message]")).to_have_text("let me in")
    expect(alice.locator("[data-testid=message-input]")).to_be_disabled()
    application.locator("[data-testid=agree]").click()
    expect(alice.locator("[data-testid=status]")).to_have_text("Request accepted.")
    expect(application.locator("[data-testid=agree]")).to_have_count(0)

    # carol's page has the group now, with the tip of her joining.
    item = conversation(carol, group_conversation)
    expect(item.locator(".peer")).to_have_text("Open club")
    item.click()
    expect(tips(carol)).to_have_text(["carol joined the group"])
    # A plain member of a Public group may only leave: no other control is shown.
    open_panel(carol)
    expect(member(carol, "alice").locator("[data-testid=member-role]")).to_have_text("Owner")
    expect(carol.locator("[data-testid=group-panel] [data-testid=quit-group]")).to_be_visible()
    for control in ("mute", "remove-member", "set-admin", "dismiss-group", "mute-all", "invite"):
        expect(carol.locator(f"[data-testid=group-panel] [data-testid={control}]")).to_have_count(0)

    # alice, the owner, mutes carol for 10 minutes from the group panel.
    conversation(alice, group_conversation).click()
    expect(tips(alice)).to_have_text(["carol joined the group"])
    open_panel(alice)
    expect(member(alice, "carol").locator("[data-testid=member-role]")).to_have_text("Member")
    expect(member(alice, "alice").locator("[data-testid=mute]")).to_have_count(0)
    member(alice, "carol").locator("[data-testid=mute-time]").select_option("600")
    member(alice, "carol").locator("[data-testid=mute]").click()
    expect(member(alice, "carol").locator("[data-testid=member-muted]")).to_be_visible()
    expect(member(alice, "carol").locator("[data-testid=unmute]")).to_be_visible()
    for page in (alice, carol):
        expect(tips(page)).to_have_text(
            ["carol joined the group", "alice muted carol for 10 minutes"]
        )

    # carol's message does not go out, and she is told why.
    send(carol, "can anyone hear me")
    row = carol.locator("[data-testid=message-row]").filter(has_text="can anyone hear me")
    expect(row).to_have_attribute("data-status", "fail")
    expect(carol.locator("[data-testid=status]")).to_have_text("You are muted in this group.")


def test_a_member_added_to_a_private_group_sees_it_without_reloading(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    group_conversation = create_group(alice, "Work room", type_="Private")
    expect(conversation(bob, group_conversation)).to_have_count(0)

    open_panel(alice)
    # In a work group anyone invites, nobody mutes, and the owner cannot dismiss it.
    expect(alice.locator("[data-testid=group-panel] [data-testid=mute-all]")).to_have_count(0)
    expect(alice.locator("[data-testid=group-panel] [data-testid=dismiss-group]")).to_have_count(0)
    alice.fill("[data-testid=invite-members]", "bob")
    alice.click("[data-testid=invite-submit]")
    expect(member(alice, "bob")).to_be_visible()
    expect(alice.locator("[data-testid=group-member-count]")).to_have_text("2")

    item = conversation(bob, group_conversation)
    expect(item.locator(".peer")).to_have_text("Work room")
    expect(item.locator(".preview")).to_have_text("alice added bob to the group")
    item.click()
    expect(tips(bob)).to_have_text(["alice added bob to the group"])
    send(bob, "thanks for the invite")
    expect(
        alice.locator("[data-testid=message]").filter(has_text="thanks for the invite")
    ).to_be_visible()


def test_a_group_received_without_badge_then_not_received(site_users, live, browser):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    group_conversation = create_group(alice, "Busy room", type_="Private", members="bob")
    item = conversation(bob, group_conversation)
    expect(item.locator(".peer")).to_have_text("Busy room")

    # bob: receive without badge; then he looks at another conversation.
    item.click()
    open_panel(bob)
    expect(bob.locator("[data-testid=remind-type]")).to_have_value("AcceptAndNotify")
    bob.select_option("[data-testid=remind-type]", "AcceptNotNotify")
    expect(item.locator("[data-testid=remind-quiet]")).to_have_attribute(
        "data-remind-type", "AcceptNotNotify"
    )
    start_chat(bob, "alice")

    send(alice, "nobody needs to look")
    expect(item.locator(".preview")).to_have_text("alice: nobody needs to look")
    expect(item.locator("[data-testid=unread]")).to_have_count(0)
    expect(bob.locator("[data-testid=total-unread]")).to_have_attribute("data-count", "0")

    # bob: don't receive, with the group open.
    item.click()
    expect(row_of(bob, "nobody needs to look")).to_be_visible()
    bob.select_option("[data-testid=remind-type]", "Discard")
    expect(bob.locator("[data-testid=remind-discard-note]")).to_be_visible()
    expect(item.locator("[data-testid=remind-quiet]")).to_have_attribute(
        "data-remind-type", "Discard"
    )

    send(alice, "nobody hears this")
    expect(row_of(alice, "nobody hears this")).to_have_attribute("data-status", "success")
    # A message that does reach bob, sent after: the group's would have come first.
    start_chat(alice, "bob")
    send(alice, "ping")
    expect(conversation(bob, "C2Calice").locator(".preview")).to_have_text("ping")
    expect(row_of(bob, "nobody hears this")).to_have_count(0)
    expect(item.locator(".preview")).to_have_text("alice: nobody needs to look")

    # It is stored: after a reload the group's history has it, still without a badge.
    bob.reload()
    item = conversation(bob, group_conversation)
    expect(item.locator(".preview")).to_have_text("alice: nobody hears this")
    expect(item.locator("[data-testid=unread]")).to_have_count(0)
    expect(item.locator("[data-testid=remind-quiet]")).to_have_attribute(
        "data-remind-type", "Discard"
    )
    item.click()
    expect(row_of(bob, "nobody hears this")).to_be_visible()


@pytest.mark.parametrize(("accept_language", "chinese"), [("zh-CN", True), ("en-US", False)])
def test_group_strings_are_in_the_js_catalog(accept_language, chinese):
    response = Client(headers={"accept-language": accept_language}).get(
        reverse("javascript-catalog")
    )

    assert response.status_code == 200
    catalog = response.content.decode()
    for text in (
        "%(users)s 加入了群组",
        "%(operator)s 将 %(user)s 禁言 %(time)s",
        "%(operator)s 申请加入 %(group)s",
        "系统通知",
        "同意",
        "你在这个群组里已被禁言。",
        "接收但不提醒",
        "不接收",
    ):
        assert (json.dumps(text) in catalog) is chinese, text
