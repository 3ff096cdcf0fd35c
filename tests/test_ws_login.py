"""Logging in over /ws/im/: the UserSig checks and the session rules."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from im.models import Account, App
from tests.conftest import SDKAPPID, SECRET_KEY, make_sig
from tests.wsclient import IMClient

pytestmark = pytest.mark.django_db(transaction=True)


async def test_login_creates_account_and_sends_sdk_ready(im_app):
    client = await IMClient().connect()
    data = await client.login("alice", make_sig("alice"), SDKAPPID)
    assert data["actionStatus"] == "OK"
    assert data["errorCode"] == 0
    assert data["userID"] == "alice"
    assert abs(data["serverTime"] - time.time()) < 5
    assert data["userSigExpireTime"] > data["serverTime"]
    account = await Account.objects.aget(app=im_app, user_id="alice")
    assert data["tinyID"] == str(account.pk)
    await client.close()


async def test_login_accepts_sdkappid_as_numeric_string(im_app):
    client = await IMClient().connect()
    data = await client.login("bob", make_sig("bob"), str(SDKAPPID))
    assert data["userID"] == "bob"
    await client.close()


def _expired_sig() -> str:
    return make_sig("alice", expire=60, now=int(time.time()) - 3600)


OTHER_KEY = "0" * 64


@pytest.mark.parametrize(
    ("user_id", "sig", "sdkappid", "code"),
    [
        ("alice", _expired_sig, SDKAPPID, 70001),
        ("alice", lambda: "", SDKAPPID, 70002),
        ("alice", lambda: "not-a-sig", SDKAPPID, 70003),
        ("alice", lambda: make_sig("bob"), SDKAPPID, 70013),
        (
            "alice",
            lambda: make_sig("alice", app=App(sdkappid=1400000002, secret_key=SECRET_KEY)),
            SDKAPPID,
            70014,
        ),
        (
            "alice",
            lambda: make_sig("alice", app=App(sdkappid=SDKAPPID, secret_key=OTHER_KEY)),
            SDKAPPID,
            70009,
        ),
        ("alice", lambda: make_sig("alice"), 1499999999, 70020),
    ],
    ids=[
        "expired",
        "empty",
        "malformed",
        "other-identifier",
        "other-sdkappid",
        "other-key",
        "unknown-sdkappid",
    ],
)
async def test_login_failures_answer_tim_codes(im_app, user_id, sig, sdkappid, code):
    client = await IMClient().connect()
    reply = await client.request(
        "login", {"SDKAppID": sdkappid, "userID": user_id, "userSig": sig()}
    )
    assert reply["code"] == code, reply
    assert reply["message"]
    assert not await Account.objects.filter(user_id=user_id).aexists()
    # The connection is still usable: a good login works afterwards.
    await client.login("alice", make_sig("alice"), SDKAPPID)
    await client.close()


async def test_login_to_disabled_app_is_refused(im_app):
    im_app.is_disabled = True
    await im_app.asave()
    client = await IMClient().connect()
    reply = await client.request(
        "login", {"SDKAppID": SDKAPPID, "userID": "alice", "userSig": make_sig("alice")}
    )
    assert reply["code"] == 60016
    await client.close()


async def test_second_login_on_one_connection_is_refused(im_app):
    client = await IMClient().connect()
    await client.login("alice", make_sig("alice"), SDKAPPID)
    reply = await client.request(
        "login", {"SDKAppID": SDKAPPID, "userID": "bob", "userSig": make_sig("bob")}
    )
    assert reply["code"] == 6015
    await client.close()


@pytest.mark.parametrize("op", ["sendMessage", "logout"])
async def test_ops_before_login_answer_not_logged_in(im_app, op):
    client = await IMClient().connect()
    reply = await client.request(op, {})
    assert reply["code"] == 6014
    assert (await client.ok("heartbeat"))["serverTime"] > 0
    await client.close()


async def test_logout_stops_pushes_and_requires_login_again(cast):
    alice = await IMClient().connect()
    await alice.login("alice", make_sig("alice"), SDKAPPID)
    bob = await IMClient().connect()
    await bob.login("bob", make_sig("bob"), SDKAPPID)
    assert await bob.ok("logout") == {}
    await alice.ok(
        "sendMessage",
        {
            "to": "bob",
            "conversationType": "C2C",
            "type": "TIMTextElem",
            "payload": {"text": "hi"},
            "random": 1,
            "clientTime": 1,
        },
    )
    await bob.assert_silent()
    assert (await bob.request("sendMessage", {}))["code"] == 6014
    await alice.close()
    await bob.close()


@override_settings(IM_LOGIN_TIMEOUT=0.2)
async def test_connection_without_login_is_closed_4401(im_app):
    client = await IMClient().connect()
    output = await client.comm.receive_output(timeout=10)
    assert output == {"type": "websocket.close", "code": 4401}


@override_settings(IM_LOGIN_TIMEOUT=0.3)
async def test_logged_out_connection_is_closed_unless_it_logs_in_again(im_app):
    client = await IMClient().connect()
    await client.login("alice", make_sig("alice"), SDKAPPID)
    await client.ok("logout")
    output = await client.comm.receive_output(timeout=10)
    assert output == {"type": "websocket.close", "code": 4401}
