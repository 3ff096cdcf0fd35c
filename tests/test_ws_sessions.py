"""Sessions that outlive a connection: an ``instanceID`` kept across reconnects.

A client names each ``login()`` with an instanceID and reuses it when it reconnects.
A session kicked while its connection was down is told so when it comes back, instead
of kicking the newer session; a reconnect keeps its place in login order.
"""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async

from im.models import App, Instance
from tests.conftest import SDKAPPID, make_sig
from tests.wsclient import IMClient, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def set_limit(app: App, limit: int) -> None:
    await App.objects.filter(pk=app.pk).aupdate(max_web_instances=limit)


async def session(user_id: str, instance_id: str) -> IMClient:
    client = await IMClient().connect()
    await client.ok(
        "login",
        {
            "SDKAppID": SDKAPPID,
            "userID": user_id,
            "userSig": make_sig(user_id),
            "instanceID": instance_id,
        },
    )
    await client.push("SDK_READY")
    return client


async def assert_refused_as_kicked(user_id: str, instance_id: str, reason: str) -> None:
    client = await IMClient().connect()
    reply_id = "back"
    await client.comm.send_json_to(
        {
            "id": reply_id,
            "op": "login",
            "data": {
                "SDKAppID": SDKAPPID,
                "userID": user_id,
                "userSig": make_sig(user_id),
                "instanceID": instance_id,
            },
        }
    )
    assert await client.comm.receive_json_from() == {
        "event": "KICKED_OUT",
        "data": {"type": reason},
    }
    answer = await client.comm.receive_json_from()
    assert answer["id"] == reply_id and answer["code"] == 6208
    assert await client.comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4001}


async def test_a_session_kicked_while_away_is_told_when_it_comes_back(cast, im_app):
    await set_limit(im_app, 1)
    laptop = await session("alice", "laptop")
    await laptop.close()  # the lid shuts: the connection drops, the session stays
    phone = await session("alice", "phone")
    await assert_refused_as_kicked("alice", "laptop", "multipleAccount")
    # The newer session was not kicked back, and still hears alice's messages.
    await phone.assert_silent()
    bob = await session("bob", "bob-1")
    await bob.ok("sendMessage", text_message("hi", to="alice"))
    assert (await phone.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "hi"
    # A new login() (a new instanceID) on the laptop is the newest session: it wins.
    laptop = await session("alice", "laptop-2")
    assert (await phone.push("KICKED_OUT"))["data"] == {"type": "multipleAccount"}
    for client in (laptop, bob):
        await client.close()


async def test_a_reconnect_keeps_its_place_and_never_counts_twice(cast, im_app):
    await set_limit(im_app, 2)
    first = await session("alice", "first")
    second = await session("alice", "second")
    await first.close()
    first = await session("alice", "first")  # back, with the same instanceID
    await second.assert_silent()
    assert await Instance.objects.filter(account=cast["alice"]).acount() == 2
    # A third login: the oldest login() goes, although it reconnected last.
    third = await session("alice", "third")
    assert (await first.push("KICKED_OUT"))["data"] == {"type": "multipleAccount"}
    await second.assert_silent()
    for client in (second, third):
        await client.close()


async def test_a_reconnect_replaces_a_registration_its_old_connection_left(cast, im_app):
    """A server process that dies leaves its instances registered as online; the
    reconnect takes that row over instead of counting beside it."""
    await set_limit(im_app, 1)
    stale = await session("alice", "tab")
    await Instance.objects.filter(instance_id="tab").aupdate(channel_name="on-a-dead-process")
    back = await session("alice", "tab")
    await back.assert_silent()
    assert [
        i async for i in Instance.objects.values_list("instance_id", "is_online", "kicked_reason")
    ] == [("tab", True, "")]
    await stale.close()
    await back.close()


async def test_a_logout_ends_the_session_and_a_kick_of_an_away_session_sticks(
    cast, im_app, app_admin, client
):
    await set_limit(im_app, 3)
    tab = await session("alice", "tab")
    await tab.ok("logout")
    assert not await Instance.objects.filter(account=cast["alice"]).aexists()
    await tab.close()
    away = await session("alice", "away")
    await away.close()
    await sync_to_async(client.force_login)(app_admin)
    response = await sync_to_async(client.post)(
        "/admin/im/account/",
        {"action": "kick_out", "_selected_action": [cast["alice"].pk]},
    )
    assert response.status_code == 302
    await assert_refused_as_kicked("alice", "away", "REST_API_Kick")


async def test_an_overlong_instance_id_is_refused(cast):
    client = await IMClient().connect()
    reply = await client.request(
        "login",
        {
            "SDKAppID": SDKAPPID,
            "userID": "alice",
            "userSig": make_sig("alice"),
            "instanceID": "x" * 65,
        },
    )
    assert reply["code"] == 6017
    assert not await Instance.objects.aexists()
    await client.close()


async def test_one_instance_id_is_one_live_connection(cast, im_app):
    """Five sockets naming one instanceID hold one place, not five: each new one takes
    the session over and the one before is kicked out."""
    await set_limit(im_app, 1)
    sockets = [await session("alice", "tab")]
    for _ in range(4):
        sockets.append(await session("alice", "tab"))
        previous = sockets[-2]
        assert (await previous.push("KICKED_OUT"))["data"] == {"type": "multipleAccount"}
        assert await previous.comm.receive_output(timeout=5) == {
            "type": "websocket.close",
            "code": 4001,
        }
    assert [
        i async for i in Instance.objects.values_list("instance_id", "is_online", "kicked_reason")
    ] == [("tab", True, "")]
    # The last socket is the session: it hears alice's messages, and nobody else was told.
    bob = await session("bob", "bob-1")
    await bob.ok("sendMessage", text_message("hi", to="alice"))
    assert (await sockets[-1].push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "hi"
    await bob.assert_silent()
    for client in (sockets[-1], bob):
        await client.close()


async def test_renewing_the_usersig_keeps_the_session_past_the_first_sigs_expiry(cast, im_app):
    short = await IMClient().connect()
    await short.login("alice", make_sig("alice", expire=2), SDKAPPID)
    renewed = await IMClient().connect()
    await renewed.login("alice", make_sig("alice", expire=2), SDKAPPID)

    assert (await renewed.request("renewUserSig", {}))["code"] == 6017
    for sig, code in (
        (make_sig("bob"), 70013),  # another account's
        (make_sig("alice", expire=1, now=1_700_000_000), 70001),  # expired
        (make_sig("alice")[:-8] + "AAAAAAAA", 70003),  # damaged
    ):
        assert (await renewed.request("renewUserSig", {"userSig": sig}))["code"] == code
    answer = await renewed.ok("renewUserSig", {"userSig": make_sig("alice", expire=3600)})
    assert 3590 < answer["userSigExpireTime"] - time.time() <= 3600
    expiries = [
        row.sig_expires_at.timestamp() - time.time()
        async for row in Instance.objects.filter(account=cast["alice"]).order_by("sig_expires_at")
    ]
    assert expiries[0] < 3 and abs(expiries[1] + time.time() - answer["userSigExpireTime"]) < 1

    # The first sig's expiry passes: the connection that did not renew is kicked.
    assert (await short.push("KICKED_OUT", timeout=5))["data"] == {"type": "userSigExpired"}
    await renewed.assert_silent(timeout=0.5)
    assert (await renewed.ok("heartbeat"))["serverTime"] > 0
    await renewed.close()

    anonymous = await IMClient().connect()
    assert (await anonymous.request("renewUserSig", {"userSig": make_sig("alice")}))["code"] == 6014
    await anonymous.close()
