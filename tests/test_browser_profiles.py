"""Profiles and the blacklist on the chat page, in real headless Chromium.

alice changes her nick and avatar on her page and bob's open page follows without a
reload; a user just added in Django's admin (the real path: the admin's add-user page
in the browser) is messaged at once; bob blocks alice from their conversation, her
next message is refused in view, and he unblocks her from his settings.

The avatar goes through the media store of the pass (see test_browser_media).
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser import PASSWORD
from tests.media import image_bytes
from tests.test_browser_admin import admin_signed_in
from tests.test_browser_groups import create_group, member, open_panel
from tests.test_browser_media import (  # media_live: a fixture (F811 where taken)
    media_live,  # noqa: F401
    throttle_uploads,
)
from tests.test_browser_messaging import (
    bubbles,
    conversation,
    row_of,
    send,
    sign_in,
    site_users,  # noqa: F401 (fixture)
    start_chat,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

# The server keeps an avatar as a square JPEG of 256 px a side (docs/protocol.md, "Profiles").
AVATAR_SIDE = 256


def avatar_img(scope):
    return scope.locator("[data-testid=avatar] img")


def wait_picture(page: Page, img, width: int) -> None:
    """The avatar's picture is on screen: loaded, and the server's square."""
    expect(img).to_be_visible()
    page.wait_for_function(
        "([img, side]) => img.complete && img.naturalWidth === side && img.naturalHeight === side",
        arg=[img.element_handle(), width],
    )


def in_row(page: Page, text: str):
    return row_of(page, text).locator("[data-testid=message-avatar] [data-testid=avatar]")


@pytest.mark.parametrize(("accept_language", "chinese"), [("zh-CN", True), ("en-US", False)])
def test_profile_strings_are_translated(accept_language, chinese, transactional_db):
    catalog = (
        Client(headers={"accept-language": accept_language})
        .get(reverse("javascript-catalog"))
        .content.decode()
    )
    for text in ("拉黑", "解除拉黑", "未送达：对方已将你拉黑。"):
        assert (json.dumps(text) in catalog) is chinese


@pytest.mark.usefixtures("site_users")
def test_alice_changes_her_nick_and_avatar_and_bobs_open_page_follows(
    media_live,  # noqa: F811
    browser,
):
    bob = sign_in(browser, media_live, "bob")
    alice = sign_in(browser, media_live, "alice")
    start_chat(alice, "bob")
    send(alice, "hello bob")
    item = conversation(bob, "C2Calice")
    item.click()
    expect(bubbles(bob)).to_have_text(["hello bob"])
    # No picture yet: her initials on a colour, in the list, the head and beside her message.
    for avatar in (item.locator("[data-testid=avatar]"), in_row(bob, "hello bob")):
        expect(avatar).to_have_attribute("data-initials", "A")
        expect(avatar.locator("img")).to_have_count(0)

    # alice edits her profile: a nick too long is refused in words, then her new one.
    alice.click("[data-testid=settings-open]")
    settings = alice.locator("[data-testid=settings]")
    expect(settings).to_be_visible()
    expect(settings.locator("[data-testid=my-user-id]")).to_have_text("alice")
    expect(settings.locator("[data-testid=profile-nick]")).to_have_value("alice")
    settings.locator("[data-testid=profile-nick]").fill("长" * 167 + "x")  # 502 bytes
    settings.locator("[data-testid=profile-save]").click()
    expect(settings.locator("[data-testid=profile-error]")).to_have_text(
        "Too long: a nickname or a signature can be at most 500 bytes."
    )
    settings.locator("[data-testid=profile-nick]").fill("Alice Wong")
    settings.locator("[data-testid=profile-signature]").fill("<i>tea</i> & dumplings")
    settings.locator("[data-testid=profile-gender]").select_option("Gender_Type_Female")
    settings.locator("[data-testid=profile-birthday]").fill("1990-05-17")
    settings.locator("[data-testid=profile-save]").click()
    expect(settings.locator("[data-testid=profile-saved]")).to_have_text("Saved.")
    expect(settings.locator("[data-testid=profile-error]")).to_be_hidden()

    # bob's page, not reloaded: her nick in the list, the head and the initials.
    expect(item.locator(".peer")).to_have_text("Alice Wong")
    expect(bob.locator("[data-testid=conversation-title]")).to_have_text("Alice Wong")
    expect(item.locator("[data-testid=avatar]")).to_have_attribute("data-initials", "AW")
    expect(in_row(bob, "hello bob")).to_have_attribute("data-initials", "AW")

    # Her picture: uploaded with its progress, then everywhere on bob's page.
    # Not a picture: said in words, nothing changed.
    settings.locator("[data-testid=avatar-input]").set_input_files(
        files={"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"}
    )
    expect(settings.locator("[data-testid=profile-error]")).to_have_text(
        "This picture cannot be used. Choose a JPEG, PNG, GIF, BMP or WebP picture."
    )
    expect(avatar_img(settings.locator("[data-testid=my-avatar-preview]"))).to_have_count(0)
    # (Throttled, so that the progress can be seen moving on loopback.)
    throttle_uploads(alice, 256 * 1024)
    picture = image_bytes("BMP", (600, 400))  # 720 KB
    settings.locator("[data-testid=avatar-input]").set_input_files(
        files={"name": "me.bmp", "mimeType": "image/bmp", "buffer": picture}
    )
    progress = settings.locator("[data-testid=avatar-progress]")
    expect(progress).to_be_visible()
    alice.wait_for_function("bar => bar.value > 0 && bar.value < 1", arg=progress.element_handle())
    expect(settings.locator("[data-testid=avatar-choose]")).to_be_disabled()
    throttle_uploads(alice, -1)
    preview = settings.locator("[data-testid=my-avatar-preview]")
    wait_picture(alice, avatar_img(preview), AVATAR_SIDE)
    wait_picture(alice, avatar_img(alice.locator("[data-testid=my-avatar]")), AVATAR_SIDE)
    expect(settings.locator("[data-testid=avatar-upload]")).to_be_hidden()
    wait_picture(bob, avatar_img(item), AVATAR_SIDE)
    wait_picture(bob, in_row(bob, "hello bob").locator("img"), AVATAR_SIDE)
    wait_picture(bob, avatar_img(bob.locator("[data-testid=head-avatar]")), AVATAR_SIDE)

    # A new message from her carries the new nick and picture too.
    settings.locator("[data-testid=dialog-close]").click()
    send(alice, "new look")
    wait_picture(bob, in_row(bob, "new look").locator("img"), AVATAR_SIDE)

    # Her profile from the conversation's head: every field, as text.
    bob.click("[data-testid=peer-profile-toggle]")
    card = bob.locator("[data-testid=profile-card]")
    expect(card.locator("[data-testid=card-nick]")).to_have_text("Alice Wong")
    expect(card.locator("[data-testid=card-user-id]")).to_have_text("alice")
    expect(card.locator("[data-testid=card-signature]")).to_have_text("<i>tea</i> & dumplings")
    expect(card.locator("[data-testid=card-signature] i")).to_have_count(0)
    expect(card.locator("[data-testid=card-gender]")).to_have_text("Female")
    expect(card.locator("[data-testid=card-birthday]")).to_have_text("1990-05-17")
    wait_picture(bob, avatar_img(card), AVATAR_SIDE)
    bob.locator("[data-testid=profile-dialog] [data-testid=dialog-close]").click()
    expect(card).to_be_hidden()

    # She removes the picture: bob's page is back to her initials.
    alice.click("[data-testid=settings-open]")
    settings.locator("[data-testid=avatar-remove]").click()
    expect(avatar_img(preview)).to_have_count(0)
    expect(avatar_img(item)).to_have_count(0)
    expect(in_row(bob, "hello bob").locator("img")).to_have_count(0)
    expect(in_row(bob, "hello bob")).to_have_attribute("data-initials", "AW")


@pytest.mark.usefixtures("site_users")
def test_a_group_shows_name_cards_and_a_members_profile_follows_his_nick(
    media_live,  # noqa: F811
    browser,
):
    alice = sign_in(browser, media_live, "alice")
    bob = sign_in(browser, media_live, "bob")
    group_id = create_group(alice, "Tea", type_="Private", members="bob")
    conversation(bob, group_id).click()
    open_panel(bob)
    bob.fill("[data-testid=name-card-nameCard]", "Bobby")
    bob.click("[data-testid=name-card-submit]")
    expect(member(bob, "bob").locator("[data-testid=member-profile]")).to_have_text("Bobby (bob)")
    send(bob, "hi from bobby")

    # alice sees his name card on his message, his nick beside it in the member list.
    expect(row_of(alice, "hi from bobby").locator("[data-testid=sender]")).to_have_text("Bobby")
    open_panel(alice)
    bob_there = member(alice, "bob")
    expect(bob_there.locator("[data-testid=member-profile]")).to_have_text("Bobby (bob)")
    expect(bob_there.locator("[data-testid=avatar]")).to_have_attribute("data-initials", "B")

    # He renames himself: her open panel follows; the name card still names his message.
    bob.click("[data-testid=settings-open]")
    bob.fill("[data-testid=profile-nick]", "Bob Li")
    bob.click("[data-testid=profile-save]")
    expect(bob.locator("[data-testid=profile-saved]")).to_have_text("Saved.")
    expect(bob_there.locator("[data-testid=member-profile]")).to_have_text("Bobby (Bob Li)")
    expect(bob_there.locator("[data-testid=avatar]")).to_have_attribute("data-initials", "BL")
    expect(row_of(alice, "hi from bobby").locator("[data-testid=sender]")).to_have_text("Bobby")

    # His profile from the member list.
    bob_there.locator("[data-testid=member-profile]").click()
    card = alice.locator("[data-testid=profile-card]")
    expect(card.locator("[data-testid=card-nick]")).to_have_text("Bob Li")
    expect(card.locator("[data-testid=card-user-id]")).to_have_text("bob")
    # From there, a chat with him.
    card.locator("[data-testid=card-message]").click()
    expect(card).to_be_hidden()
    expect(alice.locator("[data-testid=conversation-title]")).to_have_text("Bob Li")


@pytest.mark.usefixtures("site_users", "app_admin")
def test_a_user_just_added_in_the_admin_can_be_messaged_at_once(
    media_live,  # noqa: F811
    browser,
):
    alice = sign_in(browser, media_live, "alice")
    operator = admin_signed_in(browser, media_live)
    operator.goto(f"{media_live.url}/admin/auth/user/add/")
    operator.fill("input[name=username]", "newbie")
    operator.fill("input[name=password1]", PASSWORD)
    operator.fill("input[name=password2]", PASSWORD)
    operator.click("input[name=_save]")
    expect(operator.locator(".messagelist .success")).to_contain_text("newbie")

    # Before newbie ever opens the chat: a conversation, a message delivered.
    start_chat(alice, "newbie")
    send(alice, "welcome aboard")
    expect(row_of(alice, "welcome aboard")).to_have_attribute("data-status", "success")
    expect(alice.locator("[data-testid=send-error]")).to_have_count(0)

    newbie = sign_in(browser, media_live, "newbie")
    item = conversation(newbie, "C2Calice")
    expect(item.locator(".preview")).to_have_text("welcome aboard")
    item.click()
    expect(bubbles(newbie)).to_have_text(["welcome aboard"])


@pytest.mark.usefixtures("site_users")
def test_bob_blocks_alice_her_message_is_refused_and_he_unblocks_her_on_a_phone(
    media_live,  # noqa: F811
    browser,
):
    bob = sign_in(browser, media_live, "bob")
    bob.set_viewport_size({"width": 390, "height": 800})
    alice = sign_in(browser, media_live, "alice")
    start_chat(alice, "bob")
    send(alice, "first")
    conversation(bob, "C2Calice").click()
    expect(bubbles(bob)).to_have_text(["first"])
    notice = bob.locator("[data-testid=blocked-notice]")
    expect(notice).to_be_hidden()

    # Block, after a confirm that names her.
    toggle = bob.locator("[data-testid=block-toggle]")
    expect(toggle).to_have_text("Block")
    expect(toggle).to_be_in_viewport()
    questions: list[str] = []

    def confirm(dialog):
        questions.append(dialog.message)
        dialog.accept()

    bob.once("dialog", confirm)
    toggle.click()
    expect(notice).to_be_visible()
    expect(notice.locator("[data-testid=blocked-text]")).to_have_text(
        "You blocked alice: their messages do not reach you. You can still send them messages."
    )
    expect(toggle).to_have_text("Unblock")
    assert questions == [
        "Block alice? Their messages will no longer reach you. "
        "You can unblock them in Profile & settings."
    ]

    # Her next message is refused (TIM's 20007), said under it and in her status line.
    send(alice, "second")
    refused = row_of(alice, "second")
    expect(refused).to_have_attribute("data-status", "fail")
    expect(refused.locator("[data-testid=send-error]")).to_have_text(
        "Not delivered: this user has blocked you."
    )
    expect(alice.locator("[data-testid=status]")).to_have_text(
        "Not delivered: this user has blocked you."
    )
    # The blocker may still write, and she receives it.
    expect(bob.locator("[data-testid=message-input]")).to_be_enabled()
    send(bob, "I blocked you")
    expect(row_of(alice, "I blocked you")).to_have_attribute("data-status", "success")
    # (The page keeps its unsent messages below the delivered ones.)
    expect(bubbles(alice)).to_have_text(["first", "I blocked you", "second"])

    # Unblock from the settings' list.
    bob.click("[data-testid=settings-open]")
    settings = bob.locator("[data-testid=settings]")
    blocked = settings.locator("[data-testid=blocked-user]")
    expect(blocked).to_have_count(1)
    expect(blocked).to_have_attribute("data-user-id", "alice")
    expect(blocked.locator("[data-testid=blocked-nick]")).to_have_text("alice")
    expect(settings.locator("[data-testid=no-blocked]")).to_be_hidden()
    blocked.locator("[data-testid=unblock]").click()
    expect(blocked).to_have_count(0)
    nobody = settings.locator("[data-testid=no-blocked]")
    expect(nobody).to_have_text("You have not blocked anyone.")
    settings.locator("[data-testid=dialog-close]").click()
    expect(notice).to_be_hidden()
    expect(toggle).to_have_text("Block")

    # Her next message arrives; the refused one never did.
    send(alice, "third")
    expect(row_of(alice, "third")).to_have_attribute("data-status", "success")
    expect(bubbles(bob)).to_have_text(["first", "I blocked you", "third"])
