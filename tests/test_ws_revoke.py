"""revokeMessage over /ws/im/: who may recall, the window, and who hears of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from im.models import App, Group, Message
from tests.test_ws_groups import group_text, group_with_admin
from tests.wsclient import online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


def revoke(message: dict) -> dict:
    return {"conversationID": message["conversationID"], "ID": message["ID"]}


async def age_messages(seconds: int) -> None:
    await Message.objects.aupdate(created_at=timezone.now() - timedelta(seconds=seconds))


async def test_sender_recalls_c2c_message_and_everyone_sees_it(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    sent = (await alice1.ok("sendMessage", text_message("oops")))["message"]
    for client in (alice2, bob1, bob2):
        await client.push("MESSAGE_RECEIVED")

    recalled = (await alice1.ok("revokeMessage", revoke(sent)))["message"]
    assert recalled["isRevoked"] is True and recalled["revoker"] == "alice"
    for client, conversation_id in ((alice2, "C2Cbob"), (bob1, "C2Calice"), (bob2, "C2Calice")):
        [event] = (await client.push("MESSAGE_REVOKED"))["data"]
        assert event["ID"] == sent["ID"]
        assert event["isRevoked"] is True
        assert event["conversationID"] == conversation_id
    await alice1.assert_silent()
    history = await bob1.ok("getMessageList", {"conversationID": "C2Calice"})
    assert history["messageList"][0]["isRevoked"] is True
    for client in (alice1, alice2, bob1, bob2):
        await client.close()


async def test_c2c_receiver_cannot_recall_senders_message(cast):
    alice, bob = await online("alice"), await online("bob")
    sent = (await alice.ok("sendMessage", text_message("mine")))["message"]
    mirrored = {**sent, "conversationID": "C2Calice"}
    assert (await bob.request("revokeMessage", revoke(mirrored)))["code"] == 10007
    assert not (await Message.objects.aget()).is_revoked
    await alice.close()
    await bob.close()


async def test_c2c_recall_window(cast, im_app):
    alice = await online("alice")
    sent = (await alice.ok("sendMessage", text_message("late")))["message"]
    await age_messages(121)
    assert (await alice.request("revokeMessage", revoke(sent)))["code"] == 20016
    # The window is a per-app setting.
    await App.objects.filter(pk=im_app.pk).aupdate(revoke_window=300)
    await alice.ok("revokeMessage", revoke(sent))
    await alice.close()


async def test_group_recall_window_and_roles(cast):
    alice, bob, carol, gid = await group_with_admin()
    by_carol = (await carol.ok("sendMessage", group_text(gid, "c1", random=1)))["message"]
    by_alice = (await alice.ok("sendMessage", group_text(gid, "a1", random=2)))["message"]
    by_carol2 = (await carol.ok("sendMessage", group_text(gid, "c2", random=3)))["message"]

    # A plain member may not recall someone else's message.
    assert (await carol.request("revokeMessage", revoke(by_alice)))["code"] == 10007
    # The owner and an admin may recall anyone's.
    await alice.ok("revokeMessage", revoke(by_carol))
    await bob.ok("revokeMessage", revoke(by_carol2))
    [event] = (await carol.push("MESSAGE_REVOKED"))["data"]
    assert event["revoker"] in {"alice", "bob"}
    # Twice is refused.
    assert (await alice.request("revokeMessage", revoke(by_carol)))["code"] == 10032
    await age_messages(121)
    assert (await alice.request("revokeMessage", revoke(by_alice)))["code"] == 10031
    for client in (alice, bob, carol):
        await client.close()


async def test_avchatroom_messages_cannot_be_recalled(cast):
    alice = await online("alice")
    group = (await alice.ok("createGroup", {"name": "live", "type": "AVChatRoom"}))["group"]
    await alice.ok("joinGroup", {"groupID": group["groupID"]})  # even its creator joins
    sent = (await alice.ok("sendMessage", group_text(group["groupID"], "live")))["message"]
    assert (await alice.request("revokeMessage", revoke(sent)))["code"] == 10033
    assert await Group.objects.filter(type="AVChatRoom").aexists()
    await alice.close()


async def test_recall_of_unknown_message(cast):
    alice = await online("alice")
    await alice.ok("sendMessage", text_message("x"))
    reply = await alice.request("revokeMessage", {"conversationID": "C2Cbob", "ID": "1-1-1"})
    assert reply["code"] == 10030
    await alice.close()
