"""Message actions over /ws/im/: deleteMessage (for me only), replies quoting a message
(TUIKit's cloudCustomData messageReply) and forwarding (sendMessage with forwardFrom)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from im.errors import IMError
from im.models import DeletedMessage, Message
from im.serializers import message_id
from im.services import message_actions
from tests.events import capture
from tests.media import fetch, image_bytes
from tests.test_events import send
from tests.test_uploads import media_message, upload
from tests.test_ws_groups import create_group, group_text
from tests.wsclient import IMClient, assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def send_texts(
    client: IMClient, *texts: str, to: str = "bob", first: int = 100
) -> list[dict]:
    sent = []
    for n, text in enumerate(texts):
        answer = await client.ok("sendMessage", text_message(text, to=to, random=first + n))
        sent.append(answer["message"])
    return sent


async def history(client: IMClient, conversation_id: str) -> list[str]:
    page = await client.ok("getMessageList", {"conversationID": conversation_id})
    return [m["payload"].get("text") for m in page["messageList"]]


async def drain(client: IMClient, event: str, count: int) -> None:
    for _ in range(count):
        await client.push(event)


def reply_data(quoted: dict, **override) -> str:
    reply = {
        "messageAbstract": quoted["payload"].get("text", ""),
        "messageSender": quoted["from"],
        "messageID": quoted["ID"],
        "messageType": 1,
        "version": 1,
        **override,
    }
    return json.dumps({"messageReply": reply})


# --- deleteMessage ---


async def test_delete_hides_messages_from_the_deleter_only(cast):
    alice1, alice2, bob = await online("alice"), await online("alice"), await online("bob")
    _, two, _ = await send_texts(alice1, "one", "two", "three")
    await drain(alice2, "MESSAGE_RECEIVED", 3)
    await drain(bob, "MESSAGE_RECEIVED", 3)
    await bob.ok("sendMessage", text_message("four", to="alice", random=9))
    await alice1.push("MESSAGE_RECEIVED")
    await alice2.push("MESSAGE_RECEIVED")
    four = (await bob.ok("getMessageList", {"conversationID": "C2Calice"}))["messageList"][-1]
    mine = {**four, "conversationID": "C2Cbob"}

    answer = await alice1.ok(
        "deleteMessage", {"conversationID": "C2Cbob", "messageIDList": [two["ID"], mine["ID"]]}
    )
    assert answer["messageIDList"] == [two["ID"], mine["ID"]]
    # The conversation as alice now sees it: bob's "four" is gone, "three" is last, and
    # the unread "four" counts no more.
    assert answer["conversation"]["lastMessage"]["messageForShow"] == "three"
    assert answer["conversation"]["unreadCount"] == 0

    # Alice's other tab drops them, and hears the conversation's new state.
    deleted = (await alice2.push("MESSAGE_DELETED"))["data"]
    assert (deleted["conversationID"], deleted["messageIDList"]) == (
        "C2Cbob",
        [two["ID"], mine["ID"]],
    )
    assert deleted["conversation"]["lastMessage"]["messageForShow"] == "three"
    assert deleted["conversation"]["unreadCount"] == 0
    await assert_all_silent(alice1, alice2, bob)

    assert await history(alice1, "C2Cbob") == ["one", "three"]
    assert await history(bob, "C2Calice") == ["one", "two", "three", "four"]
    synced = await alice2.ok("syncMessages", {"conversationID": "C2Cbob", "changeSequence": 0})
    assert [m["payload"]["text"] for m in synced["messageList"]] == ["one", "three"]
    [alice_view] = (await alice1.ok("getConversationList", {}))["conversationList"]
    assert alice_view["lastMessage"]["messageForShow"] == "three"
    assert alice_view["unreadCount"] == 0
    [bob_view] = (await bob.ok("getConversationList", {}))["conversationList"]
    assert bob_view["lastMessage"]["messageForShow"] == "four"
    profile = await alice1.ok("getConversationProfile", {"conversationID": "C2Cbob"})
    assert profile["conversation"]["lastMessage"]["messageForShow"] == "three"
    for client in (alice1, alice2, bob):
        await client.close()


async def test_delete_uses_the_first_30_and_one_conversation(cast):
    alice = await online("alice")
    sent = await send_texts(alice, *(f"m{n}" for n in range(31)))
    answer = await alice.ok(
        "deleteMessage", {"conversationID": "C2Cbob", "messageIDList": [m["ID"] for m in sent]}
    )
    assert len(answer["messageIDList"]) == 30
    assert await history(alice, "C2Cbob") == ["m30"]
    # A message of another conversation is not found in this one: nothing is deleted.
    [to_carol] = await send_texts(alice, "to carol", to="carol", first=500)
    before = await DeletedMessage.objects.acount()
    refused = await alice.request(
        "deleteMessage",
        {"conversationID": "C2Cbob", "messageIDList": [sent[30]["ID"], to_carol["ID"]]},
    )
    assert refused["code"] == 10030
    assert await DeletedMessage.objects.acount() == before
    assert await history(alice, "C2Cbob") == ["m30"]
    # An empty list and a wrong shape are refused.
    empty = {"conversationID": "C2Cbob", "messageIDList": []}
    assert (await alice.request("deleteMessage", empty))["code"] == 6017
    bad = {"conversationID": "C2Cbob", "messageIDList": "x"}
    assert (await alice.request("deleteMessage", bad))["code"] == 6017
    await alice.close()


async def test_delete_in_someone_elses_conversation_is_refused(cast):
    alice, carol = await online("alice"), await online("carol")
    alice_bob = await online("bob")
    group = await create_group(alice, ["bob"], joined=(alice_bob,))
    [sent] = await send_texts(alice, "private")
    said = await alice.ok("sendMessage", group_text(group["groupID"], "members only"))
    # carol is not in the group: the conversation does not resolve for her.
    refused = await carol.request(
        "deleteMessage",
        {"conversationID": f"GROUP{group['groupID']}", "messageIDList": [said["message"]["ID"]]},
    )
    assert refused["code"] == 10007
    # Alice and bob's C2C message is not in carol's conversation with either of them.
    for conversation_id in ("C2Calice", "C2Cbob"):
        answer = await carol.request(
            "deleteMessage", {"conversationID": conversation_id, "messageIDList": [sent["ID"]]}
        )
        assert answer["code"] == 10030
    assert await DeletedMessage.objects.acount() == 0
    for client in (alice, carol, alice_bob):
        await client.close()


async def test_system_notices_cannot_be_deleted(cast):
    alice = await online("alice")
    await create_group(alice, [])
    notices = await alice.ok("getMessageList", {"conversationID": "@TIM#SYSTEM"})
    notice = notices["messageList"][0]
    answer = await alice.request(
        "deleteMessage", {"conversationID": "@TIM#SYSTEM", "messageIDList": [notice["ID"]]}
    )
    assert answer["code"] == 2116
    await alice.close()


async def test_group_delete_is_per_member(cast):
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, ["bob"], joined=(bob,))
    gid = group["groupID"]
    said = (await alice.ok("sendMessage", group_text(gid, "hello all")))["message"]
    await bob.push("MESSAGE_RECEIVED")
    await bob.ok("deleteMessage", {"conversationID": f"GROUP{gid}", "messageIDList": [said["ID"]]})
    texts = await history(bob, f"GROUP{gid}")
    assert "hello all" not in texts
    assert "hello all" in await history(alice, f"GROUP{gid}")
    await assert_all_silent(alice)
    for client in (alice, bob):
        await client.close()


# --- replies ---


async def test_a_reply_quotes_a_message_of_the_same_conversation(cast):
    alice, bob = await online("alice"), await online("bob")
    [quoted] = await send_texts(alice, "lunch?")
    await bob.push("MESSAGE_RECEIVED")
    seen_by_bob = {**quoted, "conversationID": "C2Calice"}
    reply = text_message("yes", to="alice", random=5, cloudCustomData=reply_data(seen_by_bob))
    sent = (await bob.ok("sendMessage", reply))["message"]
    got = (await alice.push("MESSAGE_RECEIVED"))["data"][0]
    assert json.loads(got["cloudCustomData"])["messageReply"]["messageID"] == quoted["ID"]
    assert got["cloudCustomData"] == sent["cloudCustomData"]
    # cloudCustomData that is not a reply is the app's own: not read.
    for n, own in enumerate(("not json {messageReply", json.dumps({"other": 1}), "[1, 2]")):
        await bob.ok(
            "sendMessage", text_message("x", to="alice", random=50 + n, cloudCustomData=own)
        )
    for client in (alice, bob):
        await client.close()


@pytest.mark.parametrize(
    "override, code",
    [
        ({"messageID": 12}, 6017),
        ({"messageAbstract": None}, 6017),
        ({"messageType": [1]}, 6017),
        ({"messageID": "1-2-3"}, 10030),
        ({"messageID": "garbage"}, 10030),
    ],
)
async def test_a_malformed_or_unknown_quote_is_refused(cast, override, code):
    alice, bob = await online("alice"), await online("bob")
    [quoted] = await send_texts(alice, "quote me")
    bad = text_message("re", to="alice", random=6, cloudCustomData=reply_data(quoted, **override))
    assert (await bob.request("sendMessage", bad))["code"] == code
    assert not await Message.objects.filter(random=6).aexists()
    for client in (alice, bob):
        await client.close()


async def test_a_quote_from_another_conversation_or_hidden_is_refused(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    [to_bob] = await send_texts(alice, "for bob only")
    # carol quotes alice and bob's message in her conversation with alice: not there.
    stolen = text_message("re", to="alice", random=7, cloudCustomData=reply_data(to_bob))
    assert (await carol.request("sendMessage", stolen))["code"] == 10030
    # A whole JSON object that is not an object for messageReply.
    odd = text_message("re", to="bob", random=8, cloudCustomData='{"messageReply": "x"}')
    assert (await alice.request("sendMessage", odd))["code"] == 6017
    # One alice deleted for herself she no longer sees: she cannot quote it.
    await alice.ok("deleteMessage", {"conversationID": "C2Cbob", "messageIDList": [to_bob["ID"]]})
    hidden = text_message("re", to="bob", random=9, cloudCustomData=reply_data(to_bob))
    assert (await alice.request("sendMessage", hidden))["code"] == 10030
    for client in (alice, bob, carol):
        await client.close()


async def test_in_an_avchatroom_only_the_quotes_shape_is_checked(cast):
    alice = await online("alice")
    room = (await alice.ok("createGroup", {"name": "直播", "type": "AVChatRoom"}))["group"]
    gid = room["groupID"]
    await alice.ok("joinGroup", {"groupID": gid})
    unstored = reply_data({"payload": {"text": "live"}, "from": "bob", "ID": "1-2-3"})
    await alice.ok("sendMessage", {**group_text(gid, "re", random=3), "cloudCustomData": unstored})
    bad = reply_data({"payload": {}, "from": "bob", "ID": "1-2-3"}, messageSender=7)
    refused = await alice.request(
        "sendMessage", {**group_text(gid, "re", random=4), "cloudCustomData": bad}
    )
    assert refused["code"] == 6017
    await alice.close()


# --- forwarding ---


def forward(source: dict, *, to: str, conversation_type: str = "C2C", random: int = 11) -> dict:
    return {
        "to": to,
        "conversationType": conversation_type,
        "random": random,
        "clientTime": 1764000001,
        "forwardFrom": {"conversationID": source["conversationID"], "ID": source["ID"]},
    }


async def test_forward_a_text_to_another_conversation(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    await bob.ok("sendMessage", text_message("news", to="alice", random=3))
    got = (await alice.push("MESSAGE_RECEIVED"))["data"][0]
    sent = (await alice.ok("sendMessage", forward(got, to="carol")))["message"]
    assert (sent["type"], sent["payload"], sent["from"]) == (
        "TIMTextElem",
        {"text": "news"},
        "alice",
    )
    arrived = (await carol.push("MESSAGE_RECEIVED"))["data"][0]
    assert (arrived["conversationID"], arrived["payload"]["text"]) == ("C2Calice", "news")
    for client in (alice, bob, carol):
        await client.close()


async def test_forwarding_what_you_cannot_see_is_refused(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    [secret] = await send_texts(alice, "secret")
    # carol names alice and bob's message: it is not in her conversation with either.
    for conversation_id in ("C2Calice", "C2Cbob"):
        stolen = forward({**secret, "conversationID": conversation_id}, to="carol")
        assert (await carol.request("sendMessage", {**stolen, "to": "alice"}))["code"] == 10030
    # A group she is not in does not resolve for her.
    group = await create_group(alice, ["bob"], joined=(bob,))
    said = (await alice.ok("sendMessage", group_text(group["groupID"], "inner")))["message"]
    assert (await carol.request("sendMessage", forward(said, to="alice")))["code"] == 10007
    # A recalled message is gone for everyone; a deleted one for its deleter.
    await alice.ok("revokeMessage", {"conversationID": "C2Cbob", "ID": secret["ID"]})
    assert (await alice.request("sendMessage", forward(secret, to="carol")))["code"] == 10030
    [kept] = await send_texts(alice, "kept")
    await alice.ok("deleteMessage", {"conversationID": "C2Cbob", "messageIDList": [kept["ID"]]})
    assert (await alice.request("sendMessage", forward(kept, to="carol")))["code"] == 10030
    bad = {**forward(kept, to="carol"), "forwardFrom": {"conversationID": "C2Cbob"}}
    assert (await alice.request("sendMessage", bad))["code"] == 6017
    assert not await Message.objects.filter(random=11).aexists()
    for client in (alice, bob, carol):
        await client.close()


async def test_forwarding_bobs_image_received_in_a_group_works(cast, media_store):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    group = await create_group(alice, ["bob", "carol"], joined=(bob, carol))
    gid = group["groupID"]
    picture = image_bytes("PNG", (400, 300))
    done = await upload(bob, "image", picture, "image/png", "cat.png")
    image = media_message("TIMImageElem", {"uuid": done["uuid"]}, to=gid)
    await bob.ok("sendMessage", {**image, "conversationType": "GROUP"})
    got = (await carol.push("MESSAGE_RECEIVED"))["data"][0]
    # Naming bob's upload directly is still refused to carol.
    direct = media_message("TIMImageElem", {"uuid": done["uuid"]}, to="alice", random=8)
    assert (await carol.request("sendMessage", direct))["code"] == 6017

    sent = (await carol.ok("sendMessage", forward(got, to="alice")))["message"]
    assert sent["type"] == "TIMImageElem" and sent["payload"]["uuid"] == done["uuid"]
    await drain(alice, "MESSAGE_RECEIVED", 1)  # bob's group message
    arrived = (await alice.push("MESSAGE_RECEIVED"))["data"][0]
    assert arrived["conversationID"] == "C2Ccarol"
    original = arrived["payload"]["imageInfoArray"][0]
    fetched = await fetch(original["url"])
    assert (fetched.status, fetched.body) == (200, picture)
    for client in (alice, bob, carol):
        await client.close()


async def test_group_tips_are_not_forwarded(cast):
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, [], joined=())
    gid = group["groupID"]
    await bob.ok("joinGroup", {"groupID": gid})
    page = await alice.ok("getMessageList", {"conversationID": f"GROUP{gid}"})
    tips = [m for m in page["messageList"] if m["type"] == "TIMGroupTipElem"]
    assert tips
    assert (await alice.request("sendMessage", forward(tips[0], to="bob")))["code"] == 2453
    for client in (alice, bob):
        await client.close()


# --- who is told, at the service layer ---


def test_delete_tells_only_the_deleters_other_connections(cast):
    alice = cast["alice"]
    message = send(cast["bob"], "alice", channel="bob-tab")
    with capture() as told:
        message_actions.check_delete_messages(
            account=alice,
            conversation_id="C2Cbob",
            message_ids=[message_id(message)],
            origin_channel="alice-tab-1",
        )
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_DELETED", {"alice"})]
    assert told[0].event.exclude_channel == "alice-tab-1"
    # Refused: nothing is told, nothing is written.
    with capture() as told, pytest.raises(IMError):
        message_actions.check_delete_messages(
            account=alice, conversation_id="C2Cbob", message_ids=["9-9-9"]
        )
    assert told == []
    # A rolled-back delete tells no one.
    other = send(cast["bob"], "alice", random=2)
    with capture() as told:
        with transaction.atomic():
            message_actions.check_delete_messages(
                account=alice, conversation_id="C2Cbob", message_ids=[message_id(other)]
            )
            transaction.set_rollback(True)
    assert told == []
    assert not DeletedMessage.objects.filter(message=other).exists()
