"""Pinned conversations and C2C remind types (TIM's pinConversation and setMessageRemindType's
userIDList form) over /ws/im/, and the events they schedule."""

from __future__ import annotations

import pytest

from im.errors import (
    C2C_INVALID_RECEIVER,
    INVALID_CONVERSATION,
    INVALID_PARAMS,
    NO_PERMISSION,
    IMError,
)
from im.models import Account, Participant
from im.services import conversations, groups, messages
from tests.events import capture
from tests.test_ws_conversations import conversations as listed
from tests.wsclient import assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


def order(data: dict) -> list[str]:
    return [c["conversationID"] for c in data["conversationList"]]


async def test_pin_reaches_every_tab_of_the_user_and_not_the_peer(cast):
    alice_tab, alice_other, bob = await online("alice"), await online("alice"), await online("bob")
    await alice_tab.ok("sendMessage", text_message("hi bob", to="bob"))
    await alice_other.push("MESSAGE_RECEIVED")
    await bob.push("MESSAGE_RECEIVED")

    answer = await alice_tab.ok("pinConversation", {"conversationID": "C2Cbob", "isPinned": True})
    assert answer == {"conversationID": "C2Cbob"}
    pushed = (await alice_other.push("CONVERSATION_UPDATED"))["data"]
    assert pushed["conversationID"] == "C2Cbob"
    assert pushed["isPinned"] is True
    # The tab that asked has its answer; the peer is told nothing, nor is its list changed.
    await assert_all_silent(alice_tab, bob)
    assert (await listed(bob))["C2Calice"]["isPinned"] is False
    assert (await listed(alice_tab))["C2Cbob"]["isPinned"] is True

    # Pinning again changes nothing and tells nobody.
    await alice_tab.ok("pinConversation", {"conversationID": "C2Cbob", "isPinned": True})
    await assert_all_silent(alice_other, bob)
    await alice_other.ok("pinConversation", {"conversationID": "C2Cbob", "isPinned": False})
    assert (await alice_tab.push("CONVERSATION_UPDATED"))["data"]["isPinned"] is False
    for client in (alice_tab, alice_other, bob):
        await client.close()


async def test_pinned_conversations_come_first_then_by_last_message(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    await bob.ok("sendMessage", text_message("from bob", to="alice"))
    await carol.ok("sendMessage", text_message("from carol", to="alice"))
    assert order(await alice.ok("getConversationList")) == ["C2Ccarol", "C2Cbob"]

    await alice.ok("pinConversation", {"conversationID": "C2Cbob", "isPinned": True})
    assert order(await alice.ok("getConversationList")) == ["C2Cbob", "C2Ccarol"]
    # A newer message elsewhere does not pass a pinned conversation.
    await carol.ok("sendMessage", text_message("again", to="alice", random=2))
    assert order(await alice.ok("getConversationList")) == ["C2Cbob", "C2Ccarol"]
    # Among pinned conversations the newest comes first.
    await alice.ok("pinConversation", {"conversationID": "C2Ccarol", "isPinned": True})
    assert order(await alice.ok("getConversationList")) == ["C2Ccarol", "C2Cbob"]

    # It survives a new login (a reload), and a deleted conversation comes back unpinned.
    again = await online("alice")
    assert order(await again.ok("getConversationList")) == ["C2Ccarol", "C2Cbob"]
    await again.ok("deleteConversation", {"conversationID": "C2Ccarol"})
    await carol.ok("sendMessage", text_message("back", to="alice", random=3))
    back = await listed(again)
    assert back["C2Ccarol"]["isPinned"] is False
    assert back["C2Cbob"]["isPinned"] is True
    for client in (alice, bob, carol, again):
        await client.close()


async def test_pin_refuses_bad_input_and_conversations_not_listed(cast):
    alice, bob = await online("alice"), await online("bob")
    await alice.ok("sendMessage", text_message("hi", to="bob"))
    await alice.ok("createGroup", {"name": "茶", "groupID": "tea", "type": "Public"})
    cases = [
        ({"conversationID": "C2Cbob"}, INVALID_PARAMS),  # isPinned missing
        ({"conversationID": "C2Cbob", "isPinned": "yes"}, INVALID_PARAMS),
        ({"conversationID": "C2Cbob", "isPinned": 1}, INVALID_PARAMS),
        ({"conversationID": 7, "isPinned": True}, INVALID_PARAMS),
        ({"conversationID": "bob", "isPinned": True}, INVALID_CONVERSATION),
        ({"conversationID": "C2C", "isPinned": True}, INVALID_CONVERSATION),
        ({"conversationID": "C2Cnobody", "isPinned": True}, C2C_INVALID_RECEIVER),
        # carol and alice have never written: nothing listed to pin.
        ({"conversationID": "C2Ccarol", "isPinned": True}, INVALID_CONVERSATION),
        # A group alice is in but that has no message yet, and one bob is not in.
        ({"conversationID": "GROUPtea", "isPinned": True}, INVALID_CONVERSATION),
    ]
    for data, code in cases:
        assert (await alice.request("pinConversation", data))["code"] == code, data
    outsider = await bob.request(
        "pinConversation", {"conversationID": "GROUPtea", "isPinned": True}
    )
    assert outsider["code"] == NO_PERMISSION
    assert all(not c["isPinned"] for c in (await listed(alice)).values())
    await alice.close()
    await bob.close()


async def test_c2c_remind_type_mutes_a_peer_on_every_tab_of_the_user(cast):
    alice_tab, alice_other, bob = await online("alice"), await online("alice"), await online("bob")
    answer = await alice_tab.ok(
        "setMessageRemindType",
        {"userIDList": ["bob", "nobody", "bob"], "messageRemindType": "AcceptNotNotify"},
    )
    assert answer["successUserIDList"] == [{"userID": "bob"}]
    assert [(f["userID"], f["code"]) for f in answer["failureUserIDList"]] == [
        ("nobody", C2C_INVALID_RECEIVER)
    ]
    for alice in (alice_tab, alice_other):
        pushed = (await alice.push("MESSAGE_REMIND_TYPE_UPDATED"))["data"]
        assert pushed == {"userID": "bob", "messageRemindType": "AcceptNotNotify"}
    await bob.assert_silent()

    # Muted before bob ever wrote: his messages still arrive and count, with the type.
    await bob.ok("sendMessage", text_message("still here", to="alice"))
    for alice in (alice_tab, alice_other):
        assert (await alice.push("MESSAGE_RECEIVED"))["data"][0]["payload"] == {
            "text": "still here"
        }
    mine = (await listed(alice_tab))["C2Cbob"]
    assert (mine["messageRemindType"], mine["unreadCount"]) == ("AcceptNotNotify", 1)
    assert (await listed(bob))["C2Calice"]["messageRemindType"] == ""
    profile = await alice_other.ok("getConversationProfile", {"conversationID": "C2Cbob"})
    assert profile["conversation"]["messageRemindType"] == "AcceptNotNotify"

    await alice_other.ok(
        "setMessageRemindType", {"userIDList": ["bob"], "messageRemindType": "AcceptAndNotify"}
    )
    for alice in (alice_tab, alice_other):
        assert (await alice.push("MESSAGE_REMIND_TYPE_UPDATED"))["data"]["messageRemindType"] == (
            "AcceptAndNotify"
        )
    assert (await listed(alice_tab))["C2Cbob"]["messageRemindType"] == "AcceptAndNotify"
    for client in (alice_tab, alice_other, bob):
        await client.close()


async def test_c2c_remind_type_refuses_bad_input(cast):
    alice = await online("alice")
    cases = [
        {"userIDList": ["bob"], "messageRemindType": "Discard"},
        {"userIDList": ["bob"], "messageRemindType": "Never"},
        {"userIDList": ["bob"]},
        {"userIDList": [], "messageRemindType": "AcceptNotNotify"},
        {"userIDList": "bob", "messageRemindType": "AcceptNotNotify"},
        {"userIDList": [1], "messageRemindType": "AcceptNotNotify"},
        {"userIDList": [f"u{i}" for i in range(31)], "messageRemindType": "AcceptNotNotify"},
    ]
    for data in cases:
        assert (await alice.request("setMessageRemindType", data))["code"] == INVALID_PARAMS, data
    await alice.assert_silent()
    assert await Participant.objects.filter(account__user_id="alice").acount() == 0
    # The same call, well formed, is taken.
    good = {"userIDList": ["bob"], "messageRemindType": "AcceptNotNotify"}
    assert (await alice.ok("setMessageRemindType", good))["successUserIDList"] == [
        {"userID": "bob"}
    ]
    await alice.close()


def test_pin_event_goes_to_the_pinner_only_after_commit(cast: dict[str, Account]):
    alice = cast["alice"]
    view = groups.check_create_group(
        owner=alice, name="茶馆", group_type="Public", members=[("bob", "Member")]
    )
    group_id = f"GROUP{view.group.group_id}"
    messages.check_send_message(
        sender=cast["bob"],
        to=view.group.group_id,
        conversation_type="GROUP",
        draft=messages.check_draft(
            msg_type="TIMTextElem", payload={"text": "茶"}, random=1, client_time=1764000000
        ),
    )
    with capture() as told:
        conversations.check_pin_conversation(
            account=alice, conversation_id=group_id, is_pinned=True, origin_channel="alice-1"
        )
    assert [(t.name, t.user_ids) for t in told] == [("CONVERSATION_UPDATED", {"alice"})]
    assert told[0].event.exclude_channel == "alice-1"
    assert told[0].payload.is_pinned is True
    with capture() as told, pytest.raises(IMError) as refused:
        conversations.check_pin_conversation(
            account=cast["carol"], conversation_id=group_id, is_pinned=True
        )
    assert refused.value.code == NO_PERMISSION
    assert told == []


def test_c2c_remind_event_goes_to_the_setter_only(cast: dict[str, Account]):
    with capture() as told:
        result = conversations.check_set_c2c_remind_type(
            account=cast["bob"], user_ids=["alice", "carol"], remind_type="AcceptNotNotify"
        )
    assert result.succeeded == ["alice", "carol"]
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_REMIND_TYPE_UPDATED", {"bob"})] * 2
    assert sorted(t.payload.user_id for t in told) == ["alice", "carol"]
    # Nothing changes the second time: nothing to tell.
    with capture() as told:
        conversations.check_set_c2c_remind_type(
            account=cast["bob"], user_ids=["alice"], remind_type="AcceptNotNotify"
        )
    assert told == []
