"""An app's back end refusing a message (TIM's before-send callback), seen on the chat
pages in Chromium: the sender's message fails with the back end's reason, the group
sees nothing of it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from im import hooks
from im.models import App, Message
from im.services.apps import do_upsert_app
from tests.backend import Backend
from tests.browser import PASSWORD
from tests.test_browser_messaging import bubbles, row_of, send, sign_in
from tests.test_callbacks import refuse_word


@pytest.fixture
def refusing_site(site_app: App):
    """The chat site's app, its back end refusing group messages with a word in them
    (set up before Playwright starts: the ORM refuses the test thread after)."""
    server = Backend(answer=refuse_word).start()
    for name in ("alice", "bob"):
        User.objects.create_user(name, password=PASSWORD)
    do_upsert_app(
        sdkappid=site_app.sdkappid,
        callback_url=server.url,
        callback_commands=[hooks.GROUP_BEFORE_SEND],
    )
    yield server
    server.stop()


def stored_texts() -> list[str]:
    texts = Message.objects.filter(type="TIMTextElem").values_list("payload__text", flat=True)
    return sorted(texts)


@pytest.mark.django_db(transaction=True)
def test_a_message_the_back_end_refuses_fails_for_its_sender_only(refusing_site, live, browser):
    bob = sign_in(browser, live, "bob")
    alice = sign_in(browser, live, "alice")
    alice.click("[data-testid=new-group-toggle]")
    alice.fill("[data-testid=group-name]", "Hutong team")
    alice.fill("[data-testid=group-members]", "bob")
    alice.click("[data-testid=create-group]")
    expect(alice.locator("[data-testid=conversation-title]")).to_have_text("Hutong team")
    send(alice, "hello team")
    expect(row_of(alice, "hello team")).to_have_attribute("data-status", "success")

    send(alice, "some forbidden words")
    refused = row_of(alice, "some forbidden words")
    expect(refused).to_have_attribute("data-status", "fail")
    expect(refused.locator("[data-testid=send-error]")).to_have_text("Refused: no bad words here")

    bob.locator("[data-testid=conversation]").filter(has_text="Hutong team").click()
    expect(bubbles(bob)).to_have_text(["hello team"])
    send(bob, "hi alice")  # and the group goes on
    expect(row_of(alice, "hi alice")).to_have_attribute("data-status", "success")
    expect(refused).to_have_attribute("data-status", "fail")  # kept, to retry or delete
    expect(bubbles(bob)).to_have_text(["hello team", "hi alice"])
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(stored_texts).result() == ["hello team", "hi alice"]
    assert len(refusing_site.received(hooks.GROUP_BEFORE_SEND)) == 3
