"""Tencent's unmodified tim-js-sdk in headless Chromium against a live daphne: the
browser's path, where the SDK opens its socket in a Web Worker made from a blob: URL,
from a customer's page on another origin (on IM_ALLOWED_ORIGINS) whose CSP is the one
docs/tim-sdk.md asks for. (The Node tests, tests/test_timsdk_c2c.py, take the SDK's
plain-socket path.)"""

from __future__ import annotations

import base64
import os
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from bench.daphne import LoopbackProcess, free_port
from im.models import App
from im.services.site import ensure_site_app
from tests.browser import PASSWORD
from tests.conftest import SDKAPPID, make_sig
from tests.live import LiveServer
from tests.media import image_bytes
from tests.test_browser_messaging import bubbles, conversation, send, sign_in, start_chat
from tests.timsdk_driver import proxy_server

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = """async ({ sdkappid, proxyServer, userID, userSig }) => {
  const tim = TIM.create({ SDKAppID: sdkappid, proxyServer });
  tim.registerPlugin({ 'tim-upload-plugin': TIMUploadPlugin });
  window.tim = tim;
  window.received = [];
  window.images = [];
  window.unread = null;
  tim.on(TIM.EVENT.MESSAGE_RECEIVED, (event) => {
    // Text only: Hutong's chat page also sends typing notices (online-only custom
    // messages, TUIKit's convention), which the SDK delivers as messages too.
    for (const m of event.data) {
      if (m.type === TIM.TYPES.MSG_TEXT) {
        window.received.push({ ID: m.ID, from: m.from, text: m.payload.text });
      } else if (m.type === TIM.TYPES.MSG_IMAGE) {
        const urls = m.payload.imageInfoArray.map((v) => v.url);
        window.images.push({ ID: m.ID, from: m.from, urls });
      }
    }
  });
  tim.on(TIM.EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (event) => { window.unread = event.data; });
  const ready = new Promise((resolve) => tim.on(TIM.EVENT.SDK_READY, resolve));
  const result = await tim.login({ userID, userSig });
  await ready;
  return result.code;
}"""

SEND = """async ({ to, text }) => {
  const message = tim.createTextMessage({
    to, conversationType: TIM.TYPES.CONV_C2C, payload: { text },
  });
  const result = await tim.sendMessage(message);
  return { code: result.code, ID: result.data.message.ID };
}"""


class CustomerSite(LoopbackProcess):
    """tests/timsdk/page.mjs: a page on another origin with the SDK and a strict CSP."""

    name = "customer site"

    def __init__(self, *, hutong_ws: str, port: int) -> None:
        log = tempfile.NamedTemporaryFile(prefix="timpage-", suffix=".log", delete=False)
        log.close()
        super().__init__(env=dict(os.environ), log_path=Path(log.name), port=port)
        self.hutong_ws = hutong_ws

    def command(self) -> list[str]:
        return ["node", "tests/timsdk/page.mjs", str(self.port), self.hutong_ws]


@pytest.fixture
def sites(transactional_db) -> Iterator[tuple[LiveServer, CustomerSite]]:
    """Hutong letting in the customer's origin (IM_ALLOWED_ORIGINS), and the customer."""
    port, hutong_port = free_port(), free_port()
    env = {
        "IM_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
        "IM_PUBLIC_URL": f"http://127.0.0.1:{hutong_port}",
    }
    hutong = LiveServer(env=env, port=hutong_port).start()
    site = CustomerSite(hutong_ws=proxy_server(hutong.url).removesuffix("/tim"), port=port)
    try:
        site.start()
        yield hutong, site
    finally:
        site.stop()
        hutong.stop()


def tim_page(
    browser: Browser,
    hutong: LiveServer,
    site: CustomerSite,
    user_id: str,
    *,
    app: App | None = None,
) -> tuple[Page, list[str]]:
    """The customer's page, logged in as ``user_id`` through Hutong; its console lines."""
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{site.url}/")
    config: dict[str, Any] = {
        "sdkappid": app.sdkappid if app else SDKAPPID,
        "proxyServer": proxy_server(hutong.url),
        "userID": user_id,
        "userSig": make_sig(user_id, app=app),
    }
    assert page.evaluate(LOGIN, config) == 0
    return page, console


def until(page: Page, expression: str, timeout: float = 10) -> None:
    """Poll ``expression`` on the page (``wait_for_function`` evaluates a string, which
    the page's CSP forbids; ``evaluate`` goes through the debugger protocol)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true in {timeout} s: {expression}"
        time.sleep(0.05)


@pytest.mark.once  # the server side is the Node tests' and the frame tests', in both passes
def test_the_sdk_in_a_browser_worker_sends_and_receives(sites, cast, browser):
    hutong, site = sites
    alice, alice_console = tim_page(browser, hutong, site, "alice")
    bob, _ = tim_page(browser, hutong, site, "bob")
    # The browser's path: the SDK's socket runs in its blob: Worker.
    assert any("isWorkerEnabled:true" in line for line in alice_console), alice_console[:20]

    sent = alice.evaluate(SEND, {"to": "bob", "text": "from a worker"})
    assert sent["code"] == 0
    until(bob, "window.received.length === 1")
    assert bob.evaluate("window.received") == [
        {"ID": sent["ID"], "from": "alice", "text": "from a worker"}
    ]
    until(bob, "window.unread === 1")
    answer = bob.evaluate(SEND, {"to": "alice", "text": "and back"})
    assert answer["code"] == 0
    until(alice, "window.received.length === 1")
    assert alice.evaluate("window.received[0].text") == "and back"
    assert (
        bob.evaluate("tim.setMessageRead({ conversationID: 'C2Calice' }).then((r) => r.code)") == 0
    )
    until(bob, "window.unread === 0")
    listed = bob.evaluate(
        "tim.getConversationList()"
        ".then((r) => r.data.conversationList.map((c) => c.conversationID))"
    )
    assert listed == ["C2Calice"]


SEND_IMAGE = """async ({ to, png }) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const file = new File([bytes], 'holiday.png', { type: 'image/png' });
  const message = tim.createImageMessage({
    to, conversationType: TIM.TYPES.CONV_C2C, payload: { file },
  });
  const result = await tim.sendMessage(message);
  const original = result.data.message.payload.imageInfoArray[0];
  return { code: result.code, ID: result.data.message.ID, width: original.width };
}"""


@pytest.mark.once  # the server side is the Node media test's, in both passes
def test_an_image_from_a_browser_page_with_tencents_upload_plugin(sites, cast, browser):
    """The plugin's PUT with the browser's XMLHttpRequest across origins (a CORS
    preflight), the SDK's Image load of the upload under the page's CSP; the receiving
    page gets links it can fetch."""
    hutong, site = sites
    alice, alice_console = tim_page(browser, hutong, site, "alice")
    bob, _ = tim_page(browser, hutong, site, "bob")
    picture = image_bytes("PNG", (640, 480))
    sent = alice.evaluate(SEND_IMAGE, {"to": "bob", "png": base64.b64encode(picture).decode()})
    assert sent["code"] == 0, alice_console[-20:]
    assert sent["width"] == 640  # the SDK loaded the original from Hutong under the CSP
    until(bob, "window.images.length === 1")
    (got,) = bob.evaluate("window.images")
    assert (got["ID"], got["from"]) == (sent["ID"], "alice")
    # The receiving page shows each version (its CSP lets in Hutong's origin), and the
    # original's link gives back the bytes alice put.
    shown = bob.evaluate(
        """(urls) => Promise.all(urls.map((url) => new Promise((resolve) => {
          const img = new Image();
          img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
          img.onerror = () => resolve(null);
          img.src = url;
        })))""",
        got["urls"],
    )
    assert shown == [[640, 480], [264, 198], [640, 480]]  # original, thumb, large (<= 720)
    with urllib.request.urlopen(got["urls"][0]) as answer:
        assert answer.read() == picture


@pytest.fixture
def site_accounts(transactional_db) -> App:
    """alice, bob and carol as the chat site's users (before the browser's event loop starts:
    the ORM is synchronous); their app."""
    for name in ("alice", "bob", "carol"):
        User.objects.create_user(name, password=PASSWORD)
    return ensure_site_app()


@pytest.mark.once  # as above
def test_tencents_sdk_and_hutongs_chat_page_talk_both_ways(sites, site_accounts, browser):
    """alice on a customer's page with Tencent's SDK, bob on Hutong's own chat page (its
    tim.js): the same conversation, the same unread counts on both sides."""
    hutong, site = sites
    app = site_accounts
    bob = sign_in(browser, hutong, "bob")
    start_chat(bob, "carol")  # bob is busy elsewhere: alice's message stays unread
    alice, _ = tim_page(browser, hutong, site, "alice", app=app)

    sent = alice.evaluate(SEND, {"to": "bob", "text": "hello from Tencent's SDK"})
    assert sent["code"] == 0
    from_alice = conversation(bob, "C2Calice")
    expect(from_alice.locator("[data-testid=unread]")).to_have_text("1")
    from_alice.click()
    expect(bubbles(bob)).to_have_text(["hello from Tencent's SDK"])
    expect(from_alice.locator("[data-testid=unread]")).to_have_count(0)
    # bob's page read it: alice's SDK hears the receipt.
    until(
        alice,
        "tim.getMessageList({conversationID: 'C2Cbob'})"
        ".then((r) => r.data.messageList[0].isPeerRead)",
    )

    send(bob, "hello, Tencent")
    until(alice, "window.received.length === 1")
    received = alice.evaluate("window.received[0]")
    assert (received["from"], received["text"]) == ("bob", "hello, Tencent")
    until(alice, "window.unread === 1")
    assert (
        alice.evaluate("tim.setMessageRead({ conversationID: 'C2Cbob' }).then((r) => r.code)") == 0
    )
    until(alice, "window.unread === 0")
    # Both sides list the one conversation, as the server has it.
    assert alice.evaluate(
        "tim.getConversationList()"
        ".then((r) => r.data.conversationList.map((c) => [c.conversationID, c.unreadCount]))"
    ) == [["C2Cbob", 0]]
    expect(bubbles(bob)).to_have_text(["hello from Tencent's SDK", "hello, Tencent"])
