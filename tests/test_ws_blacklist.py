"""The blacklist over /ws/im/: the three ops and their codes, BLACKLIST_UPDATED on the
owner's other connections only, and what a blacklist stops (a blacklisted account's C2C
messages to its owner) and what it leaves alone (the other way, groups, old resends)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from im.models import Account, BlacklistEntry, Conversation, Message
from im.services.blacklist import MAX_BATCH, MAX_ENTRIES
from tests.test_ws_groups import create_group, group_text
from tests.wsclient import IMClient, assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def blocked_by(owner: str) -> list[str]:
    entries = BlacklistEntry.objects.filter(owner__user_id=owner).order_by("created_at", "pk")
    return [uid async for uid in entries.values_list("blocked__user_id", flat=True)]


async def close(*clients: IMClient) -> None:
    for client in clients:
        await client.close()


async def test_add_get_remove_answer_the_whole_list(cast):
    alice = await online("alice")
    assert await alice.ok("getBlacklist") == []
    assert await alice.ok("addToBlacklist", {"userIDList": ["bob"]}) == ["bob"]
    # The answer is the whole list, oldest first, not only what this call added.
    assert await alice.ok("addToBlacklist", {"userIDList": ["carol"]}) == ["bob", "carol"]
    assert await alice.ok("getBlacklist") == ["bob", "carol"]
    assert await alice.ok("removeFromBlacklist", {"userIDList": ["bob"]}) == ["carol"]
    assert await alice.ok("getBlacklist") == ["carol"]
    assert await blocked_by("alice") == ["carol"]
    # A list is its owner's: bob's is untouched and empty.
    bob = await online("bob")
    assert await bob.ok("getBlacklist") == []
    await close(alice, bob)


async def test_blacklist_updated_reaches_the_owners_other_connections_only(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    bob, carol = await online("bob"), await online("carol")

    assert await alice1.ok("addToBlacklist", {"userIDList": ["bob", "carol"]}) == ["bob", "carol"]
    push = await alice2.push("BLACKLIST_UPDATED")
    assert push["data"] == ["bob", "carol"]
    assert await alice2.ok("removeFromBlacklist", {"userIDList": ["carol"]}) == ["bob"]
    assert (await alice1.push("BLACKLIST_UPDATED"))["data"] == ["bob"]

    # The acting connection has its answer; the blacklisted are never told.
    await assert_all_silent(alice1, alice2, bob, carol)
    await close(alice1, alice2, bob, carol)


async def test_calls_that_change_nothing_succeed_and_tell_nobody(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    await alice1.ok("addToBlacklist", {"userIDList": ["bob"]})
    await alice2.push("BLACKLIST_UPDATED")

    # Already on the list, twice in one call, not on the list, yourself on remove.
    assert await alice1.ok("addToBlacklist", {"userIDList": ["bob", "bob"]}) == ["bob"]
    assert await alice1.ok("removeFromBlacklist", {"userIDList": ["carol"]}) == ["bob"]
    assert await alice1.ok("removeFromBlacklist", {"userIDList": ["mallory", "alice"]}) == ["bob"]
    await alice2.assert_silent()
    assert await blocked_by("alice") == ["bob"]

    # Duplicates in a call that does change the list count once.
    assert await alice1.ok("addToBlacklist", {"userIDList": ["carol", "carol"]}) == ["bob", "carol"]
    assert (await alice2.push("BLACKLIST_UPDATED"))["data"] == ["bob", "carol"]
    assert await BlacklistEntry.objects.acount() == 2
    await close(alice1, alice2)


TOO_MANY = [f"user{i}" for i in range(MAX_BATCH + 1)]

BAD_LISTS = [
    # (name, data, code on addToBlacklist, code on removeFromBlacklist; None: succeeds)
    ("missing", {}, 6017, 6017),
    ("null", {"userIDList": None}, 6017, 6017),
    ("string", {"userIDList": "bob"}, 6017, 6017),
    ("object", {"userIDList": {"userID": "bob"}}, 6017, 6017),
    ("number-item", {"userIDList": ["bob", 7]}, 6017, 6017),
    ("null-item", {"userIDList": [None]}, 6017, 6017),
    ("empty", {"userIDList": []}, 30001, 30001),
    ("over-1000", {"userIDList": TOO_MANY}, 30001, 30001),
    ("self", {"userIDList": ["alice"]}, 2742, None),
    ("self-among-others", {"userIDList": ["bob", "alice"]}, 2742, None),
    ("unknown", {"userIDList": ["mallory"]}, 30003, None),
    ("unknown-among-known", {"userIDList": ["bob", "mallory"]}, 30003, None),
]


@pytest.mark.parametrize("op", ["addToBlacklist", "removeFromBlacklist"])
@pytest.mark.parametrize(
    ("data", "add_code", "remove_code"),
    [(d, a, r) for _, d, a, r in BAD_LISTS],
    ids=[name for name, *_ in BAD_LISTS],
)
async def test_bad_lists_get_tims_code_and_change_nothing(cast, op, data, add_code, remove_code):
    # carol is on the list already: a refused call must leave her there, alone.
    await BlacklistEntry.objects.acreate(owner=cast["alice"], blocked=cast["carol"])
    alice1, alice2 = await online("alice"), await online("alice")
    bob = await online("bob")
    code = add_code if op == "addToBlacklist" else remove_code
    reply = await alice1.request(op, data)
    if code is None:
        assert reply["code"] == 0 and reply["data"] == ["carol"], reply
    else:
        assert reply["code"] == code, reply
        assert isinstance(reply["message"], str) and reply["message"]
    assert await blocked_by("alice") == ["carol"]
    await assert_all_silent(alice1, alice2, bob)
    await close(alice1, alice2, bob)


def _accounts(app_id: int, count: int) -> list[str]:
    user_ids = [f"fan{i:04d}" for i in range(count)]
    Account.objects.bulk_create([Account(app_id=app_id, user_id=uid) for uid in user_ids])
    return user_ids


async def test_a_blacklist_holds_at_most_1000(cast):
    fans = await sync_to_async(_accounts)(cast["alice"].app_id, MAX_ENTRIES)
    alice1, alice2 = await online("alice"), await online("alice")

    # A full call of 1,000 is allowed and fills the list.
    full = await alice1.ok("addToBlacklist", {"userIDList": fans})
    assert full == fans
    assert (await alice2.push("BLACKLIST_UPDATED"))["data"] == fans

    # One more is refused whole; re-adding those already there still succeeds.
    reply = await alice1.request("addToBlacklist", {"userIDList": [fans[0], "bob"]})
    assert reply["code"] == 30013, reply
    assert await alice1.ok("addToBlacklist", {"userIDList": fans[:3]}) == fans
    assert await BlacklistEntry.objects.acount() == MAX_ENTRIES
    await alice2.assert_silent()

    # Room made, room taken.
    await alice1.ok("removeFromBlacklist", {"userIDList": [fans[0]]})
    assert await alice1.ok("addToBlacklist", {"userIDList": ["bob"]}) == [*fans[1:], "bob"]
    assert await BlacklistEntry.objects.acount() == MAX_ENTRIES
    await close(alice1, alice2)


async def test_blacklisted_c2c_send_is_refused_stored_nowhere_and_pushed_to_nobody(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    carol = await online("carol")
    await alice1.ok("addToBlacklist", {"userIDList": ["bob"]})
    await alice2.push("BLACKLIST_UPDATED")

    reply = await bob1.request("sendMessage", text_message("hi", to="alice"))
    assert reply["code"] == 20007, reply
    assert "alice" in reply["message"]
    assert await Message.objects.acount() == 0
    # Not even the pair's conversation appears, on either side.
    assert await Conversation.objects.acount() == 0
    assert await alice1.ok("getConversationList") == {
        "conversationList": [],
        "isSyncCompleted": True,
    }
    await assert_all_silent(alice1, alice2, bob1, bob2, carol)

    # bob still writes to everyone else.
    sent = (await bob1.ok("sendMessage", text_message("hi", to="carol", random=2)))["message"]
    [got] = (await carol.push("MESSAGE_RECEIVED"))["data"]
    assert got["ID"] == sent["ID"]
    await bob2.push("MESSAGE_RECEIVED")
    await close(alice1, alice2, bob1, bob2, carol)


async def test_the_owner_may_still_write_to_those_it_blacklisted(cast):
    """TIM's blacklist is one-way: it refuses what the blacklisted send, not what the
    owner sends them (they may read it; their replies are what 20007 refuses)."""
    alice, bob = await online("alice"), await online("bob")
    await alice.ok("addToBlacklist", {"userIDList": ["bob"]})
    sent = (await alice.ok("sendMessage", text_message("you are blocked", to="bob")))["message"]
    [got] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert got["ID"] == sent["ID"] and got["flow"] == "in"
    reply = await bob.request("sendMessage", text_message("why?", to="alice", random=2))
    assert reply["code"] == 20007
    assert await Message.objects.acount() == 1
    await close(alice, bob)


async def test_group_messages_are_not_blacklisted(cast):
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, ["bob"], joined=(bob,))
    await alice.ok("addToBlacklist", {"userIDList": ["bob"]})
    sent = (await bob.ok("sendMessage", group_text(group["groupID"], "大家好")))["message"]
    pushes = [(await alice.push("MESSAGE_RECEIVED"))["data"][0]]
    while pushes[-1]["conversationID"] != f"GROUP{group['groupID']}":
        pushes.append((await alice.push("MESSAGE_RECEIVED"))["data"][0])
    assert pushes[-1]["ID"] == sent["ID"] and pushes[-1]["from"] == "bob"
    await close(alice, bob)


async def test_removing_from_the_blacklist_restores_delivery(cast):
    alice, bob = await online("alice"), await online("bob")
    await alice.ok("addToBlacklist", {"userIDList": ["bob"]})
    refused = await bob.request("sendMessage", text_message("1", to="alice", random=1))
    assert refused["code"] == 20007
    await alice.ok("removeFromBlacklist", {"userIDList": ["bob"]})
    sent = (await bob.ok("sendMessage", text_message("2", to="alice", random=2)))["message"]
    [got] = (await alice.push("MESSAGE_RECEIVED"))["data"]
    assert got["ID"] == sent["ID"] and got["payload"] == {"text": "2"}
    # The refused message was never stored, so it is not in the history either.
    page = await alice.ok("getMessageList", {"conversationID": "C2Cbob"})
    assert [m["payload"]["text"] for m in page["messageList"]] == ["2"]
    await close(alice, bob)


async def test_resend_of_a_message_stored_before_the_block_gets_its_answer(cast):
    """The client never had its answer (a dropped connection), but alice did get the
    message before she blocked bob: the resend is answered with it, and nothing new is
    stored or pushed. A new message is refused."""
    alice, bob = await online("alice"), await online("bob")
    first = (await bob.ok("sendMessage", text_message("before", to="alice", random=7)))["message"]
    await alice.push("MESSAGE_RECEIVED")
    await alice.ok("addToBlacklist", {"userIDList": ["bob"]})

    again = (await bob.ok("sendMessage", text_message("before", to="alice", random=7)))["message"]
    assert again["ID"] == first["ID"] and again["sequence"] == first["sequence"]
    new = await bob.request("sendMessage", text_message("after", to="alice", random=8))
    assert new["code"] == 20007
    assert await Message.objects.acount() == 1
    await alice.assert_silent()
    await close(alice, bob)


async def test_blacklist_ops_need_a_login(cast):
    client = await IMClient().connect()
    await client.send_raw(json.dumps({"id": 1, "op": "getBlacklist"}))
    assert (await client.answer(1))["code"] == 6014
    await client.close()
