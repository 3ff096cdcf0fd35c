"""tim.js on another site (docs/embedding.md): a shop's page on a second loopback origin
loads the SDK as a classic <script> from Hutong, logs in with a sig its own back end
made with Tencent's library, and chats with bob on Hutong's own chat page; the same
page from an origin not on IM_ALLOWED_ORIGINS is refused, and says why."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from bench.daphne import LoopbackProcess, free_port
from im.services.site import ensure_site_app
from tests.browser import PASSWORD, TIMEOUT_MS
from tests.live import LiveServer
from tests.test_browser_messaging import bubbles, conversation, send, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


class Shop(LoopbackProcess):
    """tests/embedding/shop.mjs: the other site's page and its sig back end (Node)."""

    name = "shop"

    def __init__(self, *, hutong: str, sdkappid: int, secret_key: str) -> None:
        log = tempfile.NamedTemporaryFile(prefix="shop-", suffix=".log", delete=False)
        log.close()
        super().__init__(env=dict(os.environ), log_path=Path(log.name))
        self.args = [hutong, str(sdkappid), secret_key]

    def command(self) -> list[str]:
        return ["node", "tests/embedding/shop.mjs", str(self.port), *self.args]


@pytest.fixture
def sites(transactional_db) -> Iterator[tuple[LiveServer, Shop, Shop]]:
    """Hutong letting in the shop's origin, the shop, and a stranger's copy of it."""
    for name in ("alice", "bob"):
        User.objects.create_user(name, password=PASSWORD)
    app = ensure_site_app()
    shop_port = free_port()
    hutong = LiveServer(env={"IM_ALLOWED_ORIGINS": f"http://127.0.0.1:{shop_port}"}).start()
    shop = Shop(hutong=hutong.url, sdkappid=app.sdkappid, secret_key=app.secret_key)
    shop.port = shop_port
    stranger = Shop(hutong=hutong.url, sdkappid=app.sdkappid, secret_key=app.secret_key)
    try:
        shop.start()
        stranger.start()
        yield hutong, shop, stranger
    finally:
        for server in (stranger, shop, hutong):
            server.stop()


def test_a_page_on_an_allowed_origin_chats_and_another_origin_is_refused(
    sites, browser: Browser
):
    hutong, shop, stranger = sites
    bob = sign_in(browser, hutong, "bob")

    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{shop.url}/")
    page.evaluate("start('alice')")
    expect(page.locator("#state")).to_have_text("ready")
    page.evaluate("send('bob', 'hello from the shop')")

    conversation(bob, "C2Calice").click()
    expect(bubbles(bob).last).to_contain_text("hello from the shop")
    send(bob, "hello, shop")
    expect(page.locator("#received li")).to_have_text(["bob: hello, shop"])
    # A file goes up to Hutong's upload endpoint from the shop's origin (CORS).
    page.evaluate("sendFile('bob', 'receipt.txt', 'one teapot')")
    expect(bob.locator("[data-testid=file-name]")).to_have_text("receipt.txt")

    elsewhere = context.new_page()
    elsewhere.goto(f"{stranger.url}/")
    elsewhere.evaluate("start('alice')")
    expect(elsewhere.locator("#state")).to_have_text(
        f"refused 4403: origin http://127.0.0.1:{stranger.port} is not allowed to connect "
        "(IM_ALLOWED_ORIGINS)"
    )
    # The refused page took nothing: the shop's alice still hears bob.
    send(bob, "still here")
    expect(page.locator("#received li")).to_have_text(["bob: hello, shop", "bob: still here"])
    context.close()
