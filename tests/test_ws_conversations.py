"""History paging, read state, unread counts and the conversation list over /ws/im/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.utils import timezone

from im.models import App, Message
from tests.test_ws_groups import create_group, group_text
from tests.wsclient import IMClient, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def send_many(client: IMClient, n: int, *, to: str = "bob", start: int = 1) -> list[dict]:
    return [
        (await client.ok("sendMessage", text_message(f"m{i}", to=to, random=i)))["message"]
        for i in range(start, start + n)
    ]


async def conversations(client: IMClient) -> dict[str, dict]:
    data = await client.ok("getConversationList")
    assert data["isSyncCompleted"] is True
    return {c["conversationID"]: c for c in data["conversationList"]}


async def test_paging_100_messages_in_pages_of_15_has_no_gaps_or_repeats(cast):
    alice, bob = await online("alice"), await online("bob")
    sent = await send_many(alice, 100)
    seen: list[dict] = []
    pages = 0
    next_id = ""
    while True:
        page = await bob.ok(
            "getMessageList", {"conversationID": "C2Calice", "nextReqMessageID": next_id}
        )
        pages += 1
        batch = page["messageList"]
        assert len(batch) <= 15
        assert [m["sequence"] for m in batch] == sorted(m["sequence"] for m in batch)
        assert all(m["flow"] == "in" and m["conversationID"] == "C2Calice" for m in batch)
        seen = batch + seen
        if page["isCompleted"]:
            assert page["nextReqMessageID"] == ""
            break
        next_id = page["nextReqMessageID"]
        assert next_id == batch[0]["ID"]
    assert pages == 7
    assert [m["ID"] for m in seen] == [m["ID"] for m in sent]
    assert [m["sequence"] for m in seen] == list(range(1, 101))
    await alice.close()
    await bob.close()


async def test_message_list_with_smaller_count_and_empty_conversation(cast):
    alice = await online("alice")
    await send_many(alice, 3)
    page = await alice.ok("getMessageList", {"conversationID": "C2Cbob", "count": 2})
    assert [m["payload"]["text"] for m in page["messageList"]] == ["m2", "m3"]
    assert page["isCompleted"] is False
    assert all(m["flow"] == "out" for m in page["messageList"])
    empty = await alice.ok("getMessageList", {"conversationID": "C2Ccarol"})
    assert empty == {"messageList": [], "nextReqMessageID": "", "isCompleted": True}
    await alice.close()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"conversationID": "C2Cbob", "count": 16}, 6017),
        ({"conversationID": "C2Cbob", "count": 0}, 6017),
        ({"conversationID": "bob"}, 6004),
        ({"conversationID": "C2C"}, 6004),
        ({"conversationID": "C2Cmallory"}, 20003),
        ({"conversationID": "GROUPnowhere"}, 10010),
        ({"conversationID": "C2Cbob", "nextReqMessageID": "1-2-3"}, 10030),
        ({"conversationID": "C2Cbob", "nextReqMessageID": "junk"}, 10030),
        ({}, 6017),
    ],
    ids=[
        "count-16",
        "count-0",
        "no-prefix",
        "empty-c2c",
        "unknown-user",
        "unknown-group",
        "unknown-message",
        "junk-message-id",
        "missing-id",
    ],
)
async def test_message_list_refusals(cast, data, code):
    alice = await online("alice")
    await send_many(alice, 1)
    reply = await alice.request("getMessageList", data)
    assert reply["code"] == code, reply
    await alice.close()


async def test_a_cursor_from_another_conversation_is_not_found_here(cast):
    """A page's cursor is looked up in the conversation paged: the ID of a message
    alice sent carol does not page her chat with bob."""
    alice = await online("alice")
    await send_many(alice, 3, to="bob")
    other = (await send_many(alice, 1, to="carol", start=10))[0]
    reply = await alice.request(
        "getMessageList", {"conversationID": "C2Cbob", "nextReqMessageID": other["ID"]}
    )
    assert reply["code"] == 10030, reply
    page = await alice.ok("getMessageList", {"conversationID": "C2Ccarol"})
    assert [m["ID"] for m in page["messageList"]] == [other["ID"]]
    await alice.close()


async def test_group_history_is_for_members_only(cast):
    alice, carol = await online("alice"), await online("carol")
    group = await create_group(alice, ["bob"])
    await alice.ok("sendMessage", group_text(group["groupID"], "secret"))
    reply = await carol.request("getMessageList", {"conversationID": f"GROUP{group['groupID']}"})
    assert reply["code"] == 10007
    await alice.close()
    await carol.close()


async def test_unread_counts_follow_reads_across_connections(cast):
    alice = await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    carol = await online("carol")
    await send_many(alice, 3)
    await carol.ok("sendMessage", text_message("from carol", random=99))
    listed = await conversations(bob1)
    assert listed["C2Calice"]["unreadCount"] == 3
    assert listed["C2Calice"]["lastMessage"]["messageForShow"] == "m3"
    assert listed["C2Calice"]["userProfile"]["userID"] == "alice"
    assert listed["C2Ccarol"]["unreadCount"] == 1
    assert sum(c["unreadCount"] for c in listed.values()) == 4
    # Most recent first.
    assert list(listed) == ["C2Ccarol", "C2Calice"]
    # Your own messages never count.
    assert (await conversations(alice))["C2Cbob"]["unreadCount"] == 0

    bob2.pushes.clear()
    await bob1.ok("setMessageRead", {"conversationID": "C2Calice"})
    update = await bob2.push("CONVERSATION_UPDATED")
    assert update["data"]["conversationID"] == "C2Calice"
    assert update["data"]["unreadCount"] == 0
    assert (await conversations(bob2))["C2Calice"]["unreadCount"] == 0
    assert (await conversations(bob2))["C2Ccarol"]["unreadCount"] == 1

    # Bob's own reply does not clear carol's unread, nor count for him.
    await bob1.ok("sendMessage", text_message("reply", to="carol", random=5))
    assert (await conversations(bob1))["C2Ccarol"]["unreadCount"] == 1
    await send_many(alice, 1, start=50)
    assert (await conversations(bob1))["C2Calice"]["unreadCount"] == 1
    for client in (alice, bob1, bob2, carol):
        await client.close()


async def test_group_unread_and_read(cast):
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, ["bob"], joined=(bob,))
    gid = group["groupID"]
    for i in range(4):
        await alice.ok("sendMessage", group_text(gid, f"g{i}", random=i))
    listed = await conversations(bob)
    assert listed[f"GROUP{gid}"]["unreadCount"] == 4
    assert listed[f"GROUP{gid}"]["groupProfile"]["name"] == "茶馆"
    await bob.ok("setMessageRead", {"conversationID": f"GROUP{gid}"})
    assert (await conversations(bob))[f"GROUP{gid}"]["unreadCount"] == 0
    await alice.close()
    await bob.close()


async def test_conversation_profile(cast):
    alice, bob = await online("alice"), await online("bob")
    await send_many(alice, 2)
    profile = (await bob.ok("getConversationProfile", {"conversationID": "C2Calice"}))[
        "conversation"
    ]
    assert profile["unreadCount"] == 2
    assert profile["lastMessage"]["lastSequence"] == 2
    fresh = (await bob.ok("getConversationProfile", {"conversationID": "C2Ccarol"}))["conversation"]
    assert fresh["unreadCount"] == 0 and fresh["lastMessage"] is None
    assert fresh["userProfile"]["userID"] == "carol"
    reply = await bob.request("getConversationProfile", {"conversationID": "C2Cmallory"})
    assert reply["code"] == 20003
    await alice.close()
    await bob.close()


async def test_delete_conversation_keeps_history_and_returns_with_next_message(cast):
    alice = await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    await send_many(alice, 2)
    assert await bob1.ok("deleteConversation", {"conversationID": "C2Calice"}) == {
        "conversationID": "C2Calice"
    }
    await bob2.push("CONVERSATION_DELETED")
    assert "C2Calice" not in await conversations(bob1)
    again = await bob1.request("deleteConversation", {"conversationID": "C2Calice"})
    assert again["code"] == 6004
    assert await Message.objects.acount() == 2

    await send_many(alice, 1, start=10)
    listed = await conversations(bob2)
    assert listed["C2Calice"]["unreadCount"] == 1
    history = await bob1.ok("getMessageList", {"conversationID": "C2Calice"})
    assert [m["payload"]["text"] for m in history["messageList"]] == ["m1", "m2", "m10"]
    # Alice's side was never deleted.
    assert "C2Cbob" in await conversations(alice)
    for client in (alice, bob1, bob2):
        await client.close()


async def test_delete_unknown_conversation_is_refused(cast):
    bob = await online("bob")
    assert (await bob.request("deleteConversation", {"conversationID": "C2Ccarol"}))["code"] == 6004
    await bob.close()


async def test_retention_command_removes_old_messages(cast, im_app):
    alice, bob = await online("alice"), await online("bob")
    await send_many(alice, 3)
    await bob.ok("sendMessage", text_message("old", to="carol", random=7))
    await Message.objects.filter(payload__text__in=["m1", "m2", "old"]).aupdate(
        created_at=timezone.now() - timedelta(days=8)
    )
    # Retention 0 keeps everything.
    await App.objects.filter(pk=im_app.pk).aupdate(message_retention_days=0)
    await sync_to_async(call_command)("impurge")
    assert await Message.objects.acount() == 4
    await App.objects.filter(pk=im_app.pk).aupdate(message_retention_days=7)
    await sync_to_async(call_command)("impurge")
    history = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    assert [m["payload"]["text"] for m in history["messageList"]] == ["m3"]
    listed = await conversations(bob)
    assert "C2Ccarol" not in listed  # its only message is gone
    assert "C2Calice" in listed
    await alice.close()
    await bob.close()
