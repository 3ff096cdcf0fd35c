"""Read state and typing in C2C over /ws/im/: MESSAGE_READ_BY_PEER to exactly the
sender's connections, isPeerRead in history, sync and conversations, and onlineUserOnly
messages (typing indicators) that are pushed to whoever is online and never stored."""

from __future__ import annotations

import json

import pytest

from im import events
from im.errors import IMError
from im.models import App, Conversation, Message, Participant
from im.serializers import PROTOCOL
from im.services import conversations, messages
from tests.events import capture
from tests.test_ws_groups import create_group, group_text
from tests.wsclient import IMClient, assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)

TYPING = {"businessID": "user_typing_status", "typingStatus": 1}


def typing_message(*, to: str = "bob", random: int = 7, status: int = 1, **extra) -> dict:
    """sendMessage data for TUIKit's typing indicator, sent online only."""
    return {
        "to": to,
        "conversationType": "C2C",
        "type": "TIMCustomElem",
        "payload": {"data": json.dumps({**TYPING, "typingStatus": status}), "description": ""},
        "random": random,
        "clientTime": 1764000000,
        "onlineUserOnly": True,
        **extra,
    }


async def send_texts(client: IMClient, n: int, *, to: str = "bob", start: int = 1) -> list[dict]:
    return [
        (await client.ok("sendMessage", text_message(f"m{i}", to=to, random=i)))["message"]
        for i in range(start, start + n)
    ]


async def close_all(*clients: IMClient) -> None:
    for client in clients:
        await client.close()


# --- read by peer ---


async def test_read_by_peer_reaches_every_connection_of_the_sender_only(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    carol = await online("carol")
    sent = await send_texts(alice1, 2)
    assert [m["isPeerRead"] for m in sent] == [False, False]
    for client in (alice2, bob1, bob2):
        await client.push("MESSAGE_RECEIVED")
        await client.push("MESSAGE_RECEIVED")
    await bob1.ok("setMessageRead", {"conversationID": "C2Calice"})
    for alice in (alice1, alice2):
        push = await alice.push("MESSAGE_READ_BY_PEER")
        assert push["data"]["conversationID"] == "C2Cbob"
        assert push["data"]["peerReadSequence"] == 2
        assert push["data"]["peerReadTime"] == sent[-1]["time"]
    # Bob's other connection hears that its count went to 0, not a read report.
    assert (await bob2.push("CONVERSATION_UPDATED"))["data"]["unreadCount"] == 0
    await assert_all_silent(alice1, alice2, bob1, bob2, carol)

    # Reading again with nothing new tells nobody.
    await bob2.ok("setMessageRead", {"conversationID": "C2Calice"})
    await assert_all_silent(alice1, alice2, bob1, bob2, carol)
    await close_all(alice1, alice2, bob1, bob2, carol)


def test_read_by_peer_event_names_exactly_the_sender(cast):
    alice, bob = cast["alice"], cast["bob"]
    draft = messages.check_draft(
        msg_type="TIMTextElem", payload={"text": "hi"}, random=1, client_time=1
    )
    messages.check_send_message(sender=alice, to="bob", conversation_type="C2C", draft=draft)
    with capture() as told:
        conversations.check_set_message_read(
            account=bob, conversation_id="C2Calice", origin_channel="bob-tab"
        )
    assert sorted((t.name, t.user_ids) for t in told) == [
        ("CONVERSATION_UPDATED", {"bob"}),
        ("MESSAGE_READ_BY_PEER", {"alice"}),
    ]
    (read,) = [t.event for t in told if t.name == "MESSAGE_READ_BY_PEER"]
    # Every connection of alice's: none of them acted.
    assert read.exclude_channel is None
    frame = json.loads(events.encode(read, alice.pk)[PROTOCOL])
    assert frame["data"]["conversationID"] == "C2Cbob"
    assert frame["data"]["peerReadSequence"] == 1


async def test_reading_only_ones_own_new_messages_tells_the_peer_nothing(cast):
    alice, bob = await online("alice"), await online("bob")
    await send_texts(alice, 1)
    await bob.push("MESSAGE_RECEIVED")
    await bob.ok("setMessageRead", {"conversationID": "C2Calice"})
    await alice.push("MESSAGE_READ_BY_PEER")
    # Bob writes twice; his read mark is behind his own messages, which are not alice's.
    await send_texts(bob, 2, to="alice", start=10)
    for _ in range(2):
        await alice.push("MESSAGE_RECEIVED")
    await bob.ok("setMessageRead", {"conversationID": "C2Calice"})
    await assert_all_silent(alice, bob)
    await close_all(alice, bob)


async def test_is_peer_read_in_history_sync_and_conversations(cast):
    alice, bob = await online("alice"), await online("bob")
    await send_texts(alice, 3)
    history = await alice.ok("getMessageList", {"conversationID": "C2Cbob"})
    assert [m["isPeerRead"] for m in history["messageList"]] == [False] * 3
    listed = await alice.ok("getConversationList")
    (conversation,) = listed["conversationList"]
    assert conversation["lastMessage"]["isPeerRead"] is False
    assert conversation["peerReadSequence"] == 0

    await bob.ok("setMessageRead", {"conversationID": "C2Calice"})
    await send_texts(alice, 1, start=4)  # after bob's read: not read

    history = await alice.ok("getMessageList", {"conversationID": "C2Cbob"})
    assert [m["isPeerRead"] for m in history["messageList"]] == [True, True, True, False]
    synced = await alice.ok("syncMessages", {"conversationID": "C2Cbob", "changeSequence": 0})
    assert [m["isPeerRead"] for m in synced["messageList"]] == [True, True, True, False]
    profile = await alice.ok("getConversationProfile", {"conversationID": "C2Cbob"})
    assert profile["conversation"]["peerReadSequence"] == 3
    assert profile["conversation"]["lastMessage"]["isPeerRead"] is False

    await bob.ok("setMessageRead", {"conversationID": "C2Calice"})
    listed = await alice.ok("getConversationList")
    assert listed["conversationList"][0]["lastMessage"]["isPeerRead"] is True
    assert listed["conversationList"][0]["peerReadSequence"] == 4

    # The reader's side: incoming messages are never "peer read", nor are its lastMessage.
    theirs = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    assert [m["isPeerRead"] for m in theirs["messageList"]] == [False] * 4
    bob_list = await bob.ok("getConversationList")
    assert bob_list["conversationList"][0]["lastMessage"]["isPeerRead"] is False
    assert bob_list["conversationList"][0]["peerReadSequence"] == 0
    await close_all(alice, bob)


async def test_group_messages_are_never_peer_read(cast):
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, ["bob"], joined=(bob,))
    gid = group["groupID"]
    sent = await alice.ok("sendMessage", group_text(gid, "hello"))
    assert sent["message"]["isPeerRead"] is False
    await bob.ok("setMessageRead", {"conversationID": f"GROUP{gid}"})
    history = await alice.ok("getMessageList", {"conversationID": f"GROUP{gid}"})
    assert all(m["isPeerRead"] is False for m in history["messageList"])
    listed = await alice.ok("getConversationList")
    group_conversation = next(c for c in listed["conversationList"] if c["type"] == "GROUP")
    assert group_conversation["lastMessage"]["isPeerRead"] is False
    assert "peerReadSequence" not in group_conversation
    await close_all(alice, bob)


async def test_deleting_the_conversation_reads_it_and_tells_the_peer(cast):
    alice, bob = await online("alice"), await online("bob")
    await send_texts(alice, 2)
    for _ in range(2):  # alice's two messages reach bob (through Redis, in their time)
        await bob.push("MESSAGE_RECEIVED")
    await bob.ok("deleteConversation", {"conversationID": "C2Calice"})
    push = await alice.push("MESSAGE_READ_BY_PEER")
    assert push["data"]["peerReadSequence"] == 2
    # Deleting again is refused and tells nobody.
    assert (await bob.request("deleteConversation", {"conversationID": "C2Calice"}))["code"]
    await assert_all_silent(alice, bob)
    await close_all(alice, bob)


async def test_a_read_of_a_conversation_the_sender_deleted_still_reaches_it(cast):
    alice, bob = await online("alice"), await online("bob")
    await send_texts(alice, 1)
    await alice.ok("deleteConversation", {"conversationID": "C2Cbob"})
    await bob.ok("setMessageRead", {"conversationID": "C2Calice"})
    assert (await alice.push("MESSAGE_READ_BY_PEER"))["data"]["peerReadSequence"] == 1
    await alice.assert_silent()
    history = await alice.ok("getMessageList", {"conversationID": "C2Cbob"})
    assert history["messageList"][0]["isPeerRead"] is True
    await close_all(alice, bob)


async def test_read_marks_ignore_the_blacklist_as_documented(cast):
    """A blacklist stops messages; a read mark is about messages delivered before, so
    the reader's block changes neither the push nor isPeerRead (they always agree)."""
    alice, bob = await online("alice"), await online("bob")
    await send_texts(alice, 1)
    await bob.ok("addToBlacklist", {"userIDList": ["alice"]})
    await bob.ok("setMessageRead", {"conversationID": "C2Calice"})
    assert (await alice.push("MESSAGE_READ_BY_PEER"))["data"]["peerReadSequence"] == 1
    history = await alice.ok("getMessageList", {"conversationID": "C2Cbob"})
    assert history["messageList"][0]["isPeerRead"] is True
    # Alice can no longer write to bob: no new message, no new read.
    assert (await alice.request("sendMessage", text_message("x", random=9)))["code"] == 20007
    await bob.ok("setMessageRead", {"conversationID": "C2Calice"})
    await alice.assert_silent()
    await close_all(alice, bob)


# --- online-only messages (typing) ---


async def test_typing_reaches_the_receivers_connections_only_and_is_never_stored(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    carol = await online("carol")
    await send_texts(alice1, 1)
    for client in (alice2, bob1, bob2):
        await client.push("MESSAGE_RECEIVED")
    stored = await Message.objects.acount()

    answer = (await alice1.ok("sendMessage", typing_message()))["message"]
    assert answer["onlineOnlyFlag"] is True
    assert answer["flow"] == "out" and answer["conversationID"] == "C2Cbob"
    assert answer["ID"] and answer["sequence"] == 0 and answer["changeSequence"] == 0
    for bob in (bob1, bob2):
        push = (await bob.push("MESSAGE_RECEIVED"))["data"][0]
        assert push["onlineOnlyFlag"] is True
        assert push["conversationID"] == "C2Calice" and push["flow"] == "in"
        assert json.loads(push["payload"]["data"]) == TYPING
    # Alice's other tab is not told of her typing; carol hears nothing.
    await assert_all_silent(alice1, alice2, bob1, bob2, carol)

    assert await Message.objects.acount() == stored
    listed = await bob1.ok("getConversationList")
    (conversation,) = listed["conversationList"]
    assert conversation["unreadCount"] == 1
    assert conversation["lastMessage"]["messageForShow"] == "m1"
    history = await bob1.ok("getMessageList", {"conversationID": "C2Calice"})
    assert [m["payload"].get("text") for m in history["messageList"]] == ["m1"]
    synced = await bob1.ok("syncMessages", {"conversationID": "C2Calice", "changeSequence": 0})
    assert len(synced["messageList"]) == 1
    await close_all(alice1, alice2, bob1, bob2, carol)


async def test_typing_to_someone_new_makes_no_conversation(cast):
    alice, carol = await online("alice"), await online("carol")
    await alice.ok("sendMessage", typing_message(to="carol"))
    await carol.push("MESSAGE_RECEIVED")
    assert await Conversation.objects.acount() == 0
    assert await Participant.objects.acount() == 0
    assert (await carol.ok("getConversationList"))["conversationList"] == []
    await close_all(alice, carol)


async def test_online_only_to_an_offline_receiver_is_not_delivered_later(cast):
    alice = await online("alice")
    await alice.ok("sendMessage", typing_message())
    await alice.ok("sendMessage", text_message("later", random=2))
    bob = await online("bob")
    listed = await bob.ok("getConversationList")
    assert listed["conversationList"][0]["unreadCount"] == 1
    history = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    assert [m["type"] for m in history["messageList"]] == ["TIMTextElem"]
    synced = await bob.ok("syncMessages", {"conversationID": "C2Calice", "changeSequence": 0})
    assert [m["type"] for m in synced["messageList"]] == ["TIMTextElem"]
    await bob.assert_silent()
    await close_all(alice, bob)


async def test_online_only_group_message_reaches_online_members_unstored(cast):
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, ["bob"], joined=(bob,))
    gid = group["groupID"]
    before = await Message.objects.acount()
    data = {**group_text(gid, "typing", random=3), "onlineUserOnly": True}
    answer = (await alice.ok("sendMessage", data))["message"]
    assert answer["onlineOnlyFlag"] is True
    push = (await bob.push("MESSAGE_RECEIVED"))["data"][0]
    assert push["conversationID"] == f"GROUP{gid}" and push["onlineOnlyFlag"] is True
    assert await Message.objects.acount() == before
    listed = await bob.ok("getConversationList")
    # The group's only message was online only: no lastMessage, so not listed.
    assert [c for c in listed["conversationList"] if c["type"] == "GROUP"] == []
    await close_all(alice, bob)


async def test_online_only_is_refused_as_any_send(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    await bob.ok("addToBlacklist", {"userIDList": ["alice"]})
    refused = await alice.request("sendMessage", typing_message())
    assert refused["code"] == 20007
    # A group it is not in.
    group = await create_group(bob, ["carol"], joined=(carol,))
    data = {**group_text(group["groupID"], "typing"), "onlineUserOnly": True}
    assert (await alice.request("sendMessage", data))["code"] == 10007
    await assert_all_silent(bob, carol)
    await close_all(alice, bob, carol)


async def test_online_only_sends_take_send_rate_tokens(cast, im_app):
    await App.objects.filter(pk=im_app.pk).aupdate(send_rate=1, send_burst=2)
    alice, bob = await online("alice"), await online("bob")
    for random in (1, 2):
        await alice.ok("sendMessage", typing_message(random=random))
    refused = await alice.request("sendMessage", typing_message(random=3))
    assert refused["code"] == 2996
    for _ in range(2):
        await bob.push("MESSAGE_RECEIVED")
    await bob.assert_silent()
    await close_all(alice, bob)


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"onlineUserOnly": "yes"}, 6017),
        ({"onlineUserOnly": 1}, 6017),
        ({"to": "mallory"}, 20003),
        ({"conversationType": "@TIM#SYSTEM"}, 6004),
        ({"payload": {"data": "x" * 13000}}, 80002),
        ({"type": "TIMImageElem", "payload": {"uuid": "0" * 32}}, 6017),
    ],
    ids=["string-flag", "number-flag", "unknown-user", "system", "too-large", "media"],
)
async def test_bad_online_only_sends_are_refused(cast, extra, code):
    alice, bob = await online("alice"), await online("bob")
    reply = await alice.request("sendMessage", typing_message(**extra))
    assert reply["code"] == code, reply
    await bob.assert_silent()
    assert await Message.objects.acount() == 0
    await close_all(alice, bob)


def test_online_only_send_schedules_one_push_to_the_receiver(cast):
    alice = cast["alice"]
    draft = messages.check_draft(
        msg_type="TIMCustomElem", payload={"data": "{}"}, random=1, client_time=1
    )
    with capture() as told:
        message = messages.check_send_message(
            sender=alice,
            to="bob",
            conversation_type="C2C",
            draft=draft,
            origin_channel="alice-tab",
            online_only=True,
        )
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_RECEIVED", {"bob"})]
    assert message.pk is None
    with capture() as told, pytest.raises(IMError):
        messages.check_send_message(
            sender=alice, to="nobody", conversation_type="C2C", draft=draft, online_only=True
        )
    assert told == []
