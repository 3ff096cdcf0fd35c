"""Which pages may open a WebSocket to Hutong (im/origins.py), against a real daphne:
the site's own origin and IM_ALLOWED_ORIGINS; clients that send no Origin (no browser)
as before; everything else answered with why, and closed with 4403."""

from __future__ import annotations

import contextlib
import json

import pytest
from django.core.checks import run_checks
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import SDKAPPID, make_sig
from tests.live import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_SITE = "https://shop.example.com"


@pytest.fixture
def server(transactional_db):
    # A second page origin on the list, written as an operator might (case, a slash).
    live = LiveServer(env={"IM_ALLOWED_ORIGINS": " HTTPS://Shop.Example.com/ ,http://[::1]:9"})
    live.start()
    try:
        yield live
    finally:
        live.stop()


async def login_answer(url: str, *, origin: str | None = None, port: int | None = None) -> dict:
    """The first frame the server sends after a login, and how the socket ended up.
    With ``port``, the socket goes to that loopback port whatever host ``url`` names."""
    where = {"host": "127.0.0.1", "port": port} if port else {}
    async with connect(url, origin=origin, proxy=None, **where) as ws:
        login = {"SDKAppID": SDKAPPID, "userID": "alice", "userSig": make_sig("alice")}
        with contextlib.suppress(ConnectionClosed):  # a refused socket may be closed already
            await ws.send(json.dumps({"id": 1, "op": "login", "data": login}))
        first = json.loads(await ws.recv())
        with contextlib.suppress(ConnectionClosed):
            await ws.recv()  # SDK_READY, or the close
        return {"frame": first, "close": ws.close_code}


async def test_pages_of_listed_origins_connect_and_others_are_told_why(cast, server):
    url = server.ws_url
    own = f"http://127.0.0.1:{server.port}"
    for allowed in (None, own, OTHER_SITE, "http://[::1]:9"):
        result = await login_answer(url, origin=allowed)
        assert result["frame"]["code"] == 0, (allowed, result)
        assert result["close"] is None, allowed  # still open (SDK_READY came second)

    for origin, why in (
        (f"http://localhost:{server.port}", f"origin http://localhost:{server.port} is not"),
        ("https://evil.example", "origin https://evil.example is not allowed"),
        ("https://shop.example.com:8443", "origin https://shop.example.com:8443 is not"),
        ("http://shop.example.com", "origin http://shop.example.com is not"),
        ("null", "origin 'null' is not a web origin"),
    ):
        result = await login_answer(url, origin=origin)
        assert result["frame"]["code"] == 4403 and why in result["frame"]["message"], result
        assert result["close"] == 4403, origin

    # DNS rebinding: a page whose own name points at this server. Origin and Host agree,
    # but the host is not one this server answers to.
    rebound = f"evil.example:{server.port}"
    result = await login_answer(
        f"ws://{rebound}/ws/im/", origin=f"http://{rebound}", port=server.port
    )
    assert result["frame"]["code"] == 4403, result
    assert "host 'evil.example:" in result["frame"]["message"]
    assert result["close"] == 4403


def test_an_entry_that_is_not_an_origin_fails_the_system_check(settings):
    settings.IM_ALLOWED_ORIGINS = ["https://ok.example", "shop.example.com", "ftp://x.example"]
    errors = [e for e in run_checks() if e.id == "im.E001"]
    assert [e.msg for e in errors] == [
        "IM_ALLOWED_ORIGINS: 'shop.example.com' is not a web origin",
        "IM_ALLOWED_ORIGINS: 'ftp://x.example' is not a web origin",
    ]
    settings.IM_ALLOWED_ORIGINS = ["https://ok.example", "http://127.0.0.1:8000"]
    assert not [e for e in run_checks() if e.id == "im.E001"]
