"""Several instances of one account: kick-out, UserSig expiry, idle connections, catching up."""

from __future__ import annotations

import asyncio
import copy
import time

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import override_settings

from im.models import App, Instance
from tests.conftest import SDKAPPID, make_sig
from tests.wsclient import IMClient, assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def set_limit(app: App, limit: int) -> None:
    await App.objects.filter(pk=app.pk).aupdate(max_web_instances=limit)


async def assert_kicked(client: IMClient, kind: str) -> None:
    push = await client.push("KICKED_OUT")
    assert push["data"] == {"type": kind}
    assert await client.comm.receive_output(timeout=10) == {"type": "websocket.close", "code": 4001}


async def test_limit_1_kicks_the_older_instance(cast, im_app):
    await set_limit(im_app, 1)
    first = await online("alice")
    second = await online("alice")
    await assert_kicked(first, "multipleAccount")
    # The newer instance works; the registry holds only it.
    await second.ok("sendMessage", text_message("still here"))
    assert await Instance.objects.filter(account=cast["alice"]).acount() == 1
    await second.close()


async def test_limit_2_keeps_two_and_kicks_the_oldest_of_three(cast, im_app):
    await set_limit(im_app, 2)
    first, second = await online("alice"), await online("alice")
    await first.assert_silent()
    third = await online("alice")
    await assert_kicked(first, "multipleAccount")
    await second.assert_silent()
    bob = await online("bob")
    await bob.ok("sendMessage", text_message("hi", to="alice"))
    for client in (second, third):
        assert (await client.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "hi"
    for client in (second, third, bob):
        await client.close()


async def test_other_accounts_are_not_affected(cast, im_app):
    await set_limit(im_app, 1)
    alice, bob = await online("alice"), await online("bob")
    await assert_all_silent(alice, bob)
    await alice.close()
    await bob.close()


async def test_closed_instances_leave_the_registry(cast, im_app):
    await set_limit(im_app, 1)
    first = await online("alice")
    await first.close()
    assert not await Instance.objects.aexists()
    second = await online("alice")
    await second.assert_silent()
    await second.ok("logout")
    assert not await Instance.objects.aexists()
    await second.close()


async def test_expired_usersig_kicks_the_instance_when_it_expires(cast):
    client = await IMClient().connect()
    sig = make_sig("alice", expire=2, now=int(time.time()) - 1)
    await client.login("alice", sig, SDKAPPID)
    await client.ok("heartbeat")
    await assert_kicked(client, "userSigExpired")
    assert not await Instance.objects.aexists()


async def test_admin_kick_reaches_every_instance(cast, im_app, app_admin, client):
    alice1, alice2 = await online("alice"), await online("alice")
    await sync_to_async(client.force_login)(app_admin)
    response = await sync_to_async(client.post)(
        "/admin/im/account/",
        {"action": "kick_out", "_selected_action": [cast["alice"].pk]},
    )
    assert response.status_code == 302
    for instance in (alice1, alice2):
        await assert_kicked(instance, "REST_API_Kick")


@override_settings(IM_IDLE_TIMEOUT=2)
async def test_silent_connection_is_closed_and_heartbeats_keep_it(cast):
    # The silent one logs in first, so the talker's first gap is not a login long; the
    # margins (a beat every 0.5 s against 2 s) hold on a loaded two-core machine.
    silent, talker = await online("bob"), await online("alice")
    for _ in range(6):
        await asyncio.sleep(0.5)
        await talker.ok("heartbeat")
    assert await silent.comm.receive_output(timeout=10) == {"type": "websocket.close", "code": 4408}
    await talker.ok("heartbeat")
    assert await Instance.objects.filter(account=cast["bob"]).acount() == 0
    await talker.close()


async def test_sync_messages_catches_up_new_and_recalled_messages(cast):
    alice, bob = await online("alice"), await online("bob")
    sent = [
        (await alice.ok("sendMessage", text_message(f"m{i}", random=i)))["message"]
        for i in range(5)
    ]
    seen = sent[2]["changeSequence"]
    await alice.ok("revokeMessage", {"conversationID": "C2Cbob", "ID": sent[0]["ID"]})
    page = await bob.ok(
        "syncMessages", {"conversationID": "C2Calice", "changeSequence": seen, "count": 2}
    )
    assert [m["payload"]["text"] for m in page["messageList"]] == ["m3", "m4"]
    assert page["isCompleted"] is False
    rest = await bob.ok(
        "syncMessages",
        {"conversationID": "C2Calice", "changeSequence": page["changeSequence"]},
    )
    [recalled] = rest["messageList"]
    assert recalled["ID"] == sent[0]["ID"] and recalled["isRevoked"] is True
    assert rest["isCompleted"] is True
    listed = (await bob.ok("getConversationList"))["conversationList"]
    assert listed[0]["changeSequence"] == rest["changeSequence"]
    done = await bob.ok(
        "syncMessages", {"conversationID": "C2Calice", "changeSequence": rest["changeSequence"]}
    )
    assert done["messageList"] == [] and done["isCompleted"] is True
    assert done["changeSequence"] == rest["changeSequence"]
    bad = await bob.request("syncMessages", {"conversationID": "C2Calice", "changeSequence": -1})
    assert bad["code"] == 6017
    await alice.close()
    await bob.close()


def _short_group_expiry(seconds: int) -> override_settings:
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"].setdefault("CONFIG", {})["group_expiry"] = seconds
    return override_settings(CHANNEL_LAYERS=layers)


@_short_group_expiry(1)
async def test_subscriptions_outlive_the_layer_group_expiry(cast):
    """The layer drops group members after group_expiry; the process's fan-out renews its
    own memberships, so connections that send nothing keep hearing their pushes."""
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    await asyncio.sleep(3)
    await alice.ok("sendMessage", text_message("to bob", random=1))
    await alice.ok("sendMessage", text_message("to carol", to="carol", random=2))
    assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "to bob"
    assert (await carol.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "to carol"
    for client in (alice, bob, carol):
        await client.close()
